//! Zoom: the [DERIVED] signature and CRC fixtures (no official vector is published) and
//! negatives (signatures.md §8.3, §13).

use super::named;
use super::{mac_hex, ok, post, secrets};
use crate::inbound::{Rejection, SourceConfig, Verdict};

const SECRET: &str = "zoom_secret_token";
const TS: i64 = 1700000000;
const BODY: &[u8] = br#"{"event":"meeting.started","payload":{}}"#;
const SIG: &str = "v0=4deeff0e090b0b04feb5548e0a13a9274ed24a54dd7a9ba7a91a116514bec6a6";
const CRC: &[u8] = br#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1700000000000,"event":"endpoint.url_validation"}"#;

fn config(list: &[&str]) -> SourceConfig {
    SourceConfig::new(named("zoom"), secrets(list))
}

fn run(cfg: &SourceConfig, sig: &str, body: &[u8], now: i64) -> super::Result {
    let h = [
        ("x-zm-signature", sig),
        ("x-zm-request-timestamp", "1700000000"),
    ];
    post(cfg, &h, body, now)
}

fn sign(key: &str, body: &[u8]) -> String {
    format!("v0={}", mac_hex(key, &[b"v0:1700000000:", body]))
}

/// Zoom sends no event id: the verdict has none, and the ingest route dedupes on the
/// body's digest (`content_key`, tested in `tests/dedupe.rs`).
#[test]
fn derived_event_fixture() {
    assert_eq!(
        run(&config(&[SECRET]), SIG, BODY, TS),
        ok(None, Some("meeting.started"))
    );
}

/// The handshake answer as (status, content type, parsed JSON): key order is up to
/// serde_json's features, the content is not.
fn answer(result: super::Result) -> (u16, &'static str, serde_json::Value) {
    match result {
        Ok(Verdict::Handshake {
            status,
            content_type,
            body,
        }) => (status, content_type, serde_json::from_slice(&body).unwrap()),
        other => panic!("not a handshake: {other:?}"),
    }
}

#[test]
fn url_validation_answered_with_the_derived_crc() {
    let expected = (
        200,
        "application/json",
        serde_json::json!({
            "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
            "encryptedToken": "bd48235863f4a6323ccc4963c594908b7c97f88b4a6a95278f4f093690b12726",
        }),
    );
    assert_eq!(
        answer(run(&config(&[SECRET]), &sign(SECRET, CRC), CRC, TS)),
        expected
    );
    // Mid-rotation, the answer uses the secret Zoom signed with (the older one here).
    assert_eq!(
        answer(run(
            &config(&["new_token", SECRET]),
            &sign(SECRET, CRC),
            CRC,
            TS
        )),
        expected
    );
}

#[test]
fn unsigned_or_forged_validation_is_no_hmac_oracle() {
    assert_eq!(
        post(&config(&[SECRET]), &[], CRC, TS),
        Err(Rejection::MissingHeader("x-zm-signature"))
    );
    assert_eq!(
        run(&config(&[SECRET]), &sign("guess", CRC), CRC, TS),
        Err(Rejection::BadSignature)
    );
    let empty = br#"{"event":"endpoint.url_validation","payload":{}}"#;
    assert_eq!(
        run(&config(&[SECRET]), &sign(SECRET, empty), empty, TS),
        Err(Rejection::MalformedBody("payload.plainToken"))
    );
}

#[test]
fn window_and_negatives() {
    let cfg = config(&[SECRET]);
    assert_eq!(
        run(&cfg, SIG, BODY, TS + 300),
        ok(None, Some("meeting.started"))
    );
    assert_eq!(
        run(&cfg, SIG, BODY, TS + 301),
        Err(Rejection::StaleTimestamp)
    );
    assert_eq!(
        run(&cfg, SIG, BODY, TS - 301),
        Err(Rejection::FutureTimestamp)
    );
    assert_eq!(
        run(&cfg, SIG, br#"{"event":"meeting.ended","payload":{}}"#, TS),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        run(&config(&["other"]), SIG, BODY, TS),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        run(&cfg, &SIG[3..], BODY, TS),
        Err(Rejection::MalformedHeader("x-zm-signature"))
    );
    assert_eq!(
        post(&cfg, &[("x-zm-signature", SIG)], BODY, TS),
        Err(Rejection::MissingHeader("x-zm-request-timestamp"))
    );
}

/// The derived event fixture, for the registry test.
pub(super) fn vector() -> super::Vector {
    super::Vector {
        config: config(&[SECRET]),
        method: "POST",
        url: super::URL.into(),
        headers: vec![
            ("x-zm-signature", SIG.into()),
            ("x-zm-request-timestamp", TS.to_string()),
        ],
        body: BODY,
        now: TS,
        expect: ok(None, Some("meeting.started")),
    }
}
