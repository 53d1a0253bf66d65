//! Paddle Billing: the [DERIVED] fixture (no official vector is published) and negatives
//! (signatures.md §8.1, §13).

use super::named;
use super::{mac_hex, ok, post, secrets};
use crate::inbound::{Rejection, SourceConfig};

const SECRET: &str = "pdl_ntfset_01example_secret";
const TS: i64 = 1700000000;
const BODY: &[u8] = br#"{"event_id":"evt_01","event_type":"transaction.completed"}"#;
const H1: &str = "a0495900627eb48591d40a9f09e1de770bc4ade1aa592c1be76ce9deade76e12";

fn config(list: &[&str]) -> SourceConfig {
    SourceConfig::new(named("paddle"), secrets(list))
}

fn run(cfg: &SourceConfig, header: &str, body: &[u8], now: i64) -> super::Result {
    post(cfg, &[("Paddle-Signature", header)], body, now)
}

fn verified() -> super::Result {
    ok(Some("evt_01"), Some("transaction.completed"))
}

#[test]
fn derived_fixture() {
    assert_eq!(
        run(&config(&[SECRET]), &format!("ts={TS};h1={H1}"), BODY, TS),
        verified()
    );
}

#[test]
fn several_h1_entries_and_rotation() {
    let old = mac_hex("pdl_old", &[b"1700000000:", BODY]);
    // Any h1 may be the one that matches, not only the last (the Node SDK's bug).
    let header = format!("ts={TS};h1={H1};h1={old};h9=unknown");
    assert_eq!(run(&config(&[SECRET]), &header, BODY, TS), verified());
    assert_eq!(run(&config(&["pdl_old"]), &header, BODY, TS), verified());
    assert_eq!(
        run(
            &config(&["pdl_new", SECRET]),
            &format!("ts={TS};h1={H1}"),
            BODY,
            TS
        ),
        verified()
    );
}

#[test]
fn window_defaults_to_300s_both_ways() {
    let cfg = config(&[SECRET]);
    let header = format!("ts={TS};h1={H1}");
    assert_eq!(run(&cfg, &header, BODY, TS + 300), verified());
    assert_eq!(
        run(&cfg, &header, BODY, TS + 301),
        Err(Rejection::StaleTimestamp)
    );
    assert_eq!(
        run(&cfg, &header, BODY, TS - 301),
        Err(Rejection::FutureTimestamp)
    );
    let sdk = SourceConfig {
        tolerance_secs: 5,
        ..SourceConfig::new(named("paddle"), secrets(&[SECRET]))
    };
    assert_eq!(
        run(&sdk, &header, BODY, TS + 6),
        Err(Rejection::StaleTimestamp)
    );
}

#[test]
fn negatives() {
    let cfg = config(&[SECRET]);
    let header = format!("ts={TS};h1={H1}");
    assert_eq!(
        run(&cfg, &header, br#"{"event_id":"evt_02"}"#, TS),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        run(&config(&["pdl_x"]), &header, BODY, TS),
        Err(Rejection::BadSignature)
    );
    let forged = format!("ts={TS};h1={}", mac_hex("guess", &[b"1700000000:", BODY]));
    assert_eq!(run(&cfg, &forged, BODY, TS), Err(Rejection::BadSignature));
    assert_eq!(
        post(&cfg, &[], BODY, TS),
        Err(Rejection::MissingHeader("paddle-signature"))
    );
    for bad in [
        format!("h1={H1}"),
        format!("ts={TS}"),
        format!("ts=now;h1={H1}"),
        format!("ts={TS},h1={H1}"),
    ] {
        assert_eq!(
            run(&cfg, &bad, BODY, TS),
            Err(Rejection::MalformedHeader("paddle-signature")),
            "{bad}"
        );
    }
}

/// The derived fixture, for the registry test.
pub(super) fn vector() -> super::Vector {
    super::Vector {
        config: config(&[SECRET]),
        method: "POST",
        url: super::URL.into(),
        headers: vec![("Paddle-Signature", format!("ts={TS};h1={H1}"))],
        body: BODY,
        now: TS,
        expect: verified(),
    }
}
