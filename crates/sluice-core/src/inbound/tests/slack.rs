//! Slack: SL-1 (docs vector, `now` pinned to 1531420618), url_verification, Events API
//! (signatures.md §6).

use super::named;
use super::{mac_hex, ok, post, secrets};
use crate::inbound::{Rejection, SourceConfig, Verdict};

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const TS: i64 = 1531420618;
const BODY: &[u8] = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

fn config(list: &[&str]) -> SourceConfig {
    SourceConfig::new(named("slack"), secrets(list))
}

fn run(cfg: &SourceConfig, sig: &str, ts: &str, body: &[u8], now: i64) -> super::Result {
    let h = [
        ("X-Slack-Signature", sig),
        ("X-Slack-Request-Timestamp", ts),
    ];
    post(cfg, &h, body, now)
}

fn sign(body: &[u8]) -> String {
    format!(
        "v0={}",
        mac_hex(SECRET, &[b"v0:", TS.to_string().as_bytes(), b":", body])
    )
}

#[test]
fn sl1_docs_vector_slash_command() {
    assert_eq!(
        run(&config(&[SECRET]), SIG, "1531420618", BODY, TS),
        ok(None, Some("/webhook-collect"))
    );
}

#[test]
fn url_verification_is_answered_only_when_signed() {
    let body = br#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    assert_eq!(
        run(&config(&[SECRET]), &sign(body), "1531420618", body, TS),
        Ok(Verdict::Handshake {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            body: b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P".to_vec(),
        })
    );
    assert_eq!(
        post(&config(&[SECRET]), &[], body, TS),
        Err(Rejection::MissingHeader("x-slack-signature"))
    );
    assert_eq!(
        run(&config(&["other"]), &sign(body), "1531420618", body, TS),
        Err(Rejection::BadSignature)
    );
    let no_challenge = br#"{"type":"url_verification"}"#;
    assert_eq!(
        run(
            &config(&[SECRET]),
            &sign(no_challenge),
            "1531420618",
            no_challenge,
            TS
        ),
        Err(Rejection::MalformedBody("challenge"))
    );
}

#[test]
fn events_api_and_interactivity() {
    let body =
        br#"{"type":"event_callback","event_id":"Ev0PV52K21","event":{"type":"app_mention"}}"#;
    assert_eq!(
        run(&config(&[SECRET]), &sign(body), "1531420618", body, TS),
        ok(Some("Ev0PV52K21"), Some("app_mention"))
    );
    let form = b"payload=%7B%22type%22%3A%22block_actions%22%7D";
    assert_eq!(
        run(&config(&[SECRET]), &sign(form), "1531420618", form, TS),
        ok(None, Some("block_actions"))
    );
}

#[test]
fn window_is_five_minutes_both_ways() {
    let cfg = config(&[SECRET]);
    assert_eq!(
        run(&cfg, SIG, "1531420618", BODY, TS + 300),
        ok(None, Some("/webhook-collect"))
    );
    assert_eq!(
        run(&cfg, SIG, "1531420618", BODY, TS + 301),
        Err(Rejection::StaleTimestamp)
    );
    assert_eq!(
        run(&cfg, SIG, "1531420618", BODY, TS - 301),
        Err(Rejection::FutureTimestamp)
    );
    // The timestamp is signed: a fresh one with the old signature is a forgery.
    assert_eq!(
        run(&cfg, SIG, "1531421000", BODY, TS + 382),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn negatives_and_rotation() {
    let cfg = config(&[SECRET]);
    assert_eq!(
        run(&cfg, SIG, "1531420618", &BODY[1..], TS),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        run(&config(&["x"]), SIG, "1531420618", BODY, TS),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        run(&config(&["x", SECRET]), SIG, "1531420618", BODY, TS),
        ok(None, Some("/webhook-collect"))
    );
    for bad in [&SIG[3..], "v1=a2114d57", "v0=zz"] {
        assert_eq!(
            run(&cfg, bad, "1531420618", BODY, TS),
            Err(Rejection::MalformedHeader("x-slack-signature"))
        );
    }
    assert_eq!(
        run(&cfg, SIG, "soon", BODY, TS),
        Err(Rejection::MalformedHeader("x-slack-request-timestamp"))
    );
    assert_eq!(
        post(&cfg, &[("X-Slack-Signature", SIG)], BODY, TS),
        Err(Rejection::MissingHeader("x-slack-request-timestamp"))
    );
}

/// SL-1, for the registry test.
pub(super) fn vector() -> super::Vector {
    super::Vector {
        config: config(&[SECRET]),
        method: "POST",
        url: super::URL.into(),
        headers: vec![
            ("X-Slack-Signature", SIG.into()),
            ("X-Slack-Request-Timestamp", TS.to_string()),
        ],
        body: BODY,
        now: TS,
        expect: ok(None, Some("/webhook-collect")),
    }
}
