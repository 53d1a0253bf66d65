//! Stripe: the official raw HMAC vectors of stripe-node (key `test_secret`), the [DERIVED]
//! full-header fixture, and the negatives (signatures.md §3, §13).

use super::named;
use super::{mac_hex, ok, post, secrets};
use crate::inbound::common::{find_secret, HmacSha256};
use crate::inbound::{Rejection, SourceConfig};

const SECRET: &str = "whsec_test_secret";
const T: i64 = 1700000000;
const BODY: &[u8] = br#"{"id":"evt_test_webhook","object":"event"}"#;
const V1: &str = "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990";

fn config(list: &[&str]) -> SourceConfig {
    SourceConfig::new(named("stripe"), secrets(list))
}

fn run(cfg: &SourceConfig, header: &str, body: &[u8], now: i64) -> super::Result {
    post(cfg, &[("Stripe-Signature", header)], body, now)
}

#[test]
fn official_raw_hmac_vectors() {
    // stripe-node test/crypto/helpers.ts: the key is the secret string's UTF-8 bytes and
    // the tag lowercase hex, exactly what the verifier feeds `find_secret`.
    let key = secrets(&["test_secret"]);
    for (msg, expected) in [
        (
            &b""[..],
            "f7f9bd47fb987337b5796fdc1fdb9ba221d0d5396814bfcaf9521f43fd8927fd",
        ),
        (
            br#"{"obj1":"hello","obj2":"world"}"#,
            "bebb1a643997f419b315ddba19e6f5411e1ce7f810ba6d3617ce72823092f363",
        ),
        (
            "\u{1F600}".as_bytes(),
            "837da296d05c4fe31f61d5d7ead035099d9585a5bcde87de952012a78f0b0c43",
        ),
    ] {
        let tag = hex::decode(expected).unwrap();
        assert_eq!(
            find_secret::<HmacSha256>(&key, &[msg], &[tag]),
            Some("test_secret")
        );
    }
}

#[test]
fn derived_header_fixture() {
    let header = format!("t={T},v1={V1}");
    assert_eq!(
        run(&config(&[SECRET]), &header, BODY, T),
        ok(Some("evt_test_webhook"), None)
    );
}

#[test]
fn event_type_from_the_body() {
    let body = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    let header = format!(
        "t={T},v1={}",
        mac_hex(SECRET, &[T.to_string().as_bytes(), b".", body])
    );
    assert_eq!(
        run(&config(&[SECRET]), &header, body, T),
        ok(Some("evt_1"), Some("payment_intent.succeeded"))
    );
}

#[test]
fn several_v1_entries_and_v0_ignored() {
    let wrong = mac_hex("whsec_other", &[T.to_string().as_bytes(), b".", BODY]);
    let header = format!("t={T}, v1={wrong}, v1=not-hex, v1={V1}, v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39");
    assert_eq!(
        run(&config(&[SECRET]), &header, BODY, T),
        ok(Some("evt_test_webhook"), None)
    );
    // A valid MAC under the fake v0 scheme is not accepted.
    assert_eq!(
        run(&config(&[SECRET]), &format!("t={T},v0={V1}"), BODY, T),
        Err(Rejection::MalformedHeader("stripe-signature"))
    );
}

#[test]
fn rotation_wrong_secret_forgery_and_tampering() {
    let header = format!("t={T},v1={V1}");
    assert_eq!(
        run(&config(&["whsec_new", SECRET]), &header, BODY, T),
        ok(Some("evt_test_webhook"), None)
    );
    assert_eq!(
        run(&config(&["whsec_new"]), &header, BODY, T),
        Err(Rejection::BadSignature)
    );
    let forged = format!("t={T},v1={}1", &V1[..63]);
    assert_eq!(
        run(&config(&[SECRET]), &forged, BODY, T),
        Err(Rejection::BadSignature)
    );
    let tampered = br#"{"id":"evt_test_webhooK","object":"event"}"#;
    assert_eq!(
        run(&config(&[SECRET]), &header, tampered, T),
        Err(Rejection::BadSignature)
    );
    // `t` is signed: moving it forward to dodge the window breaks the signature.
    let moved = format!("t={},v1={V1}", T + 1000);
    assert_eq!(
        run(&config(&[SECRET]), &moved, BODY, T + 1000),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn tolerance_is_past_only() {
    let header = format!("t={T},v1={V1}");
    let cfg = config(&[SECRET]);
    assert_eq!(
        run(&cfg, &header, BODY, T + 300),
        ok(Some("evt_test_webhook"), None)
    );
    assert_eq!(
        run(&cfg, &header, BODY, T + 301),
        Err(Rejection::StaleTimestamp)
    );
    // Stripe's libraries do not bound the future; neither does Sluice.
    assert_eq!(
        run(&cfg, &header, BODY, T - 3600),
        ok(Some("evt_test_webhook"), None)
    );
    let tight = SourceConfig {
        tolerance_secs: 10,
        ..SourceConfig::new(named("stripe"), secrets(&[SECRET]))
    };
    assert_eq!(
        run(&tight, &header, BODY, T + 11),
        Err(Rejection::StaleTimestamp)
    );
}

#[test]
fn missing_and_malformed_header() {
    let cfg = config(&[SECRET]);
    assert_eq!(
        post(&cfg, &[], BODY, T),
        Err(Rejection::MissingHeader("stripe-signature"))
    );
    assert_eq!(
        run(&cfg, "", BODY, T),
        Err(Rejection::MissingHeader("stripe-signature"))
    );
    for header in [
        format!("v1={V1}"),
        format!("t=abc,v1={V1}"),
        format!("t=-{T},v1={V1}"),
        format!("t={T}"),
        "garbage".to_owned(),
    ] {
        assert_eq!(
            run(&cfg, &header, BODY, T),
            Err(Rejection::MalformedHeader("stripe-signature")),
            "{header}"
        );
    }
}

/// The derived full-header fixture, for the registry test.
pub(super) fn vector() -> super::Vector {
    super::Vector {
        config: config(&[SECRET]),
        method: "POST",
        url: super::URL.into(),
        headers: vec![("Stripe-Signature", format!("t={T},v1={V1}"))],
        body: BODY,
        now: T,
        expect: ok(Some("evt_test_webhook"), None),
    }
}
