//! Shopify: the [DERIVED] fixture (no official vector is published) and negatives
//! (signatures.md §5, §13).

use super::named;
use super::{mac_b64, ok, post, secrets};
use crate::inbound::{Rejection, SourceConfig};

const SECRET: &str = "hush";
const BODY: &[u8] = br#"{"id":1}"#;
const SIG: &str = "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY=";

fn config(list: &[&str]) -> SourceConfig {
    SourceConfig::new(named("shopify"), secrets(list))
}

fn run(cfg: &SourceConfig, sig: &str, body: &[u8]) -> super::Result {
    let h = [
        ("X-Shopify-Hmac-Sha256", sig),
        ("X-Shopify-Topic", "orders/create"),
        (
            "X-Shopify-Webhook-Id",
            "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        ),
        ("X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5"),
    ];
    post(cfg, &h, body, 0)
}

#[test]
fn derived_fixture_with_webhook_id_and_topic() {
    assert_eq!(
        run(&config(&[SECRET]), SIG, BODY),
        ok(
            Some("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"),
            Some("orders/create")
        )
    );
}

#[test]
fn event_id_fallback_and_unprefixed_headers() {
    let h = [
        ("shopify-hmac-sha256", SIG),
        ("shopify-topic", "orders/paid"),
        ("shopify-event-id", "evt-1"),
    ];
    assert_eq!(
        post(&config(&[SECRET]), &h, BODY, 0),
        ok(Some("evt-1"), Some("orders/paid"))
    );
}

#[test]
fn negatives() {
    let cfg = config(&[SECRET]);
    assert_eq!(run(&cfg, SIG, br#"{"id":2}"#), Err(Rejection::BadSignature));
    assert_eq!(
        run(&config(&["hash"]), SIG, BODY),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        run(&cfg, &mac_b64("guess", &[BODY]), BODY),
        Err(Rejection::BadSignature)
    );
    // Valid base64 of a different length (the hex form, say) cannot match.
    assert_eq!(
        run(&cfg, "VnKUjZsLuN5iZWjn", BODY),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        run(&cfg, "not base64!", BODY),
        Err(Rejection::MalformedHeader("x-shopify-hmac-sha256"))
    );
    assert_eq!(
        post(&cfg, &[("X-Shopify-Topic", "orders/create")], BODY, 0),
        Err(Rejection::MissingHeader("x-shopify-hmac-sha256"))
    );
}

#[test]
fn rotation_keeps_the_old_secret() {
    assert_eq!(
        run(&config(&["new-secret", SECRET]), SIG, BODY),
        ok(
            Some("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"),
            Some("orders/create")
        )
    );
}

/// The derived fixture, for the registry test.
pub(super) fn vector() -> super::Vector {
    super::Vector {
        config: config(&[SECRET]),
        method: "POST",
        url: super::URL.into(),
        headers: vec![
            ("X-Shopify-Hmac-Sha256", SIG.into()),
            ("X-Shopify-Topic", "orders/create".into()),
            (
                "X-Shopify-Webhook-Id",
                "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043".into(),
            ),
        ],
        body: BODY,
        now: 0,
        expect: ok(
            Some("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"),
            Some("orders/create"),
        ),
    }
}
