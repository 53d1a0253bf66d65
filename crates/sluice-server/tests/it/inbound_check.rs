//! The one end-to-end check every provider test runs (see `inbound_providers`): a body
//! signed with the provider's scheme is posted to the ingest URL by a real HTTP client and
//! arrives at a real destination byte for byte, with the provider's headers and a valid
//! Sluice signature. Unsigned, forged, tampered and stale requests are refused with their
//! reason code and nothing of theirs is stored or forwarded; a redelivery of the genuine
//! event is acknowledged and dropped.

use serde_json::{json, Value};

use crate::inbound_common::*;

/// Signs a request: (secret, timestamp, body, ingest URL) → the provider's headers.
pub type Signer = fn(&str, i64, &[u8], &str) -> Vec<(String, String)>;

/// One provider: how to build and sign a request, and what Sluice should make of it.
pub struct Case {
    pub ty: &'static str,
    /// Config with `secret`; `{secret}` is substituted.
    pub config: fn(&str) -> Value,
    pub secret: &'static str,
    pub wrong: &'static str,
    pub content_type: &'static str,
    /// The body for a request signed at `ts`.
    pub body: fn(i64) -> Vec<u8>,
    /// The provider's headers (signature included) for (secret, ts, body, url).
    pub sign: Signer,
    /// The header without which the request is unsigned.
    pub signature_header: &'static str,
    pub unsigned_code: &'static str,
    pub forged_code: &'static str,
    /// Whether the scheme has a signed timestamp (and so a stale case).
    pub stale: bool,
    /// Whether the body is covered by a signature (and so a tampered case).
    pub signed_body: bool,
    /// The message's expected eventId (`None`: the provider sends none, and the event is
    /// deduplicated on its content).
    pub event_id: Option<&'static str>,
    pub event_type: &'static str,
}

pub fn secret_only(s: &str) -> Value {
    json!({ "secret": s })
}

pub async fn check(c: Case) {
    let inb = setup(c.ty, (c.config)(c.secret)).await;
    let ts = now_secs();
    let body = (c.body)(ts);
    let with_ct = |mut h: Vec<(String, String)>| {
        h.push(("content-type".into(), c.content_type.into()));
        h
    };
    let genuine = with_ct((c.sign)(c.secret, ts, &body, &inb.url));

    let unsigned: Vec<_> = genuine
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case(c.signature_header))
        .cloned()
        .collect();
    let forged = with_ct((c.sign)(c.wrong, ts, &body, &inb.url));
    let mut tampered_body = body.clone();
    tampered_body.extend_from_slice(b" ");
    let mut refused = vec![
        ("unsigned", unsigned, body.clone(), c.unsigned_code),
        ("forged", forged, body.clone(), c.forged_code),
    ];
    if c.signed_body {
        refused.push(("tampered", genuine.clone(), tampered_body, "bad_signature"));
    }
    if c.stale {
        let old = ts - 3600;
        let stale_body = (c.body)(old);
        let stale = with_ct((c.sign)(c.secret, old, &stale_body, &inb.url));
        refused.push(("stale", stale, stale_body, "stale_timestamp"));
    }
    for (what, headers, body, code) in &refused {
        let (status, text) = inb.post(headers, body).await;
        assert_eq!(status, 401, "{} {what}: {text}", c.ty);
        assert_eq!(code_of(&text), *code, "{} {what}", c.ty);
    }

    let (status, text) = inb.post(&genuine, &body).await;
    assert_eq!(status, 200, "{} genuine: {text}", c.ty);
    let ack: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(ack["duplicate"], false);
    let got = inb.expect_forward(&body, c.content_type, &genuine).await;
    assert_eq!(got.header("webhook-id"), ack["id"].as_str().unwrap());

    // The provider retries: acknowledged, not stored again, not forwarded again.
    let (status, text) = inb.post(&genuine, &body).await;
    assert_eq!(status, 200, "{} redelivery: {text}", c.ty);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["duplicate"],
        true
    );

    let msgs = inb.messages().await;
    assert_eq!(msgs.len(), 1, "{}: only the genuine event is stored", c.ty);
    assert_eq!(msgs[0]["eventId"], json!(c.event_id));
    assert_eq!(msgs[0]["eventType"], c.event_type);
    assert_eq!(inb.receiver.count(), 1, "{}: forwarded once", c.ty);
    let stats = inb.app.get_ok("/ingest/api/v1/stats").await;
    assert_eq!(stats["accepted"], 1);
    assert_eq!(stats["duplicates"], 1);
    let rejected: u64 = stats["rejected"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(rejected, refused.len() as u64);
}
