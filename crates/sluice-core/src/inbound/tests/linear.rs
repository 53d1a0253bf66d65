//! Linear: the [DERIVED] fixture (no official vector is published), the signed
//! `webhookTimestamp` window, negatives (signatures.md §8.4, §13).

use super::named;
use super::{mac_hex, ok, post, secrets};
use crate::inbound::{Rejection, SourceConfig};

const SECRET: &str = "lin_wh_secret";
const NOW: i64 = 1700000000;
const BODY: &[u8] = br#"{"action":"create","type":"Issue","webhookTimestamp":1700000000000}"#;
const SIG: &str = "91e919dc0fd99df1cae12efef1ca08b082cfa523f101b572ec14ed98863fdf35";
const DELIVERY: &str = "234d1a4e-b617-4388-90fe-adc3633d6b72";

fn config(list: &[&str]) -> SourceConfig {
    SourceConfig::new(named("linear"), secrets(list))
}

fn run(cfg: &SourceConfig, sig: &str, body: &[u8], now: i64) -> super::Result {
    let h = [
        ("Linear-Signature", sig),
        ("Linear-Delivery", DELIVERY),
        ("Linear-Event", "Issue"),
    ];
    post(cfg, &h, body, now)
}

#[test]
fn derived_fixture() {
    assert_eq!(
        run(&config(&[SECRET]), SIG, BODY, NOW),
        ok(Some(DELIVERY), Some("Issue.create"))
    );
    assert_eq!(
        run(&config(&["lin_new", SECRET]), SIG, BODY, NOW),
        ok(Some(DELIVERY), Some("Issue.create"))
    );
}

#[test]
fn body_timestamp_window_is_60s_both_ways() {
    let cfg = config(&[SECRET]);
    assert_eq!(
        run(&cfg, SIG, BODY, NOW + 60),
        ok(Some(DELIVERY), Some("Issue.create"))
    );
    assert_eq!(
        run(&cfg, SIG, BODY, NOW + 61),
        Err(Rejection::StaleTimestamp)
    );
    assert_eq!(
        run(&cfg, SIG, BODY, NOW - 61),
        Err(Rejection::FutureTimestamp)
    );
}

#[test]
fn a_signed_body_without_timestamp_is_refused() {
    let cfg = config(&[SECRET]);
    for (body, field) in [
        (
            &br#"{"action":"create","type":"Issue"}"#[..],
            "webhookTimestamp",
        ),
        (
            br#"{"webhookTimestamp":"1700000000000"}"#,
            "webhookTimestamp",
        ),
        (b"not json", "not JSON"),
    ] {
        assert_eq!(
            run(&cfg, &mac_hex(SECRET, &[body]), body, NOW),
            Err(Rejection::MalformedBody(field))
        );
    }
    // A float timestamp is accepted, and the type falls back to the header.
    let body = br#"{"webhookTimestamp":1.7e12}"#;
    assert_eq!(
        run(&cfg, &mac_hex(SECRET, &[body]), body, NOW),
        ok(Some(DELIVERY), Some("Issue"))
    );
}

#[test]
fn negatives() {
    let cfg = config(&[SECRET]);
    let tampered = br#"{"action":"remove","type":"Issue","webhookTimestamp":1700000000000}"#;
    assert_eq!(run(&cfg, SIG, tampered, NOW), Err(Rejection::BadSignature));
    assert_eq!(
        run(&config(&["x"]), SIG, BODY, NOW),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        run(&cfg, &mac_hex("guess", &[BODY]), BODY, NOW),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        run(&cfg, "zz", BODY, NOW),
        Err(Rejection::MalformedHeader("linear-signature"))
    );
    assert_eq!(
        post(&cfg, &[("Linear-Delivery", DELIVERY)], BODY, NOW),
        Err(Rejection::MissingHeader("linear-signature"))
    );
}

/// The derived fixture, for the registry test.
pub(super) fn vector() -> super::Vector {
    super::Vector {
        config: config(&[SECRET]),
        method: "POST",
        url: super::URL.into(),
        headers: vec![
            ("Linear-Signature", SIG.into()),
            ("Linear-Delivery", DELIVERY.into()),
            ("Linear-Event", "Issue".into()),
        ],
        body: BODY,
        now: NOW,
        expect: ok(Some(DELIVERY), Some("Issue.create")),
    }
}
