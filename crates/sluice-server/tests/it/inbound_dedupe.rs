//! Events without a provider event id are deduplicated on a digest of their content within
//! the dedupe window (`sluice_core::inbound::dedupe`): sent twice, forwarded once; a
//! different body (or, for Twilio and `generic-webhook`, a different query) is a different
//! event and forwarded too. Each test posts the first event, waits for its forward, posts
//! the duplicate and then a distinct event: the next forward must be the distinct one, so
//! a forwarded duplicate fails the test without any sleep.

use serde_json::{json, Value};

use crate::inbound_common::*;

const STRIPE_SECRET: &str = "whsec_test_secret";

/// Stripe's header for `body` signed at `ts`.
fn stripe_signed(ts: i64, body: &[u8]) -> Vec<(String, String)> {
    let sig = hex::encode(hmac256(
        STRIPE_SECRET.as_bytes(),
        &[ts.to_string().as_bytes(), b".", body],
    ));
    pairs(&[
        ("stripe-signature", format!("t={ts},v1={sig}")),
        ("content-type", "application/json".into()),
    ])
}

/// Posts and returns the ack's `duplicate` flag.
async fn duplicate(inb: &Inbound, headers: &[(String, String)], body: &[u8]) -> bool {
    let (status, text) = inb.post(headers, body).await;
    assert_eq!(status, 200, "{text}");
    let ack: Value = serde_json::from_str(&text).unwrap();
    ack["duplicate"].as_bool().expect("duplicate flag")
}

/// The next forward's body is `body`.
async fn forwarded(inb: &Inbound, body: &[u8]) {
    let got = inb.receiver.next(crate::delivery_common::WAIT).await;
    assert_eq!(
        String::from_utf8_lossy(&got.body),
        String::from_utf8_lossy(body),
        "the next forward"
    );
}

#[tokio::test]
async fn stripe_without_id_is_deduplicated_on_the_body_across_re_signed_retries() {
    let inb = setup("stripe", json!({"secret": STRIPE_SECRET})).await;
    let body = br#"{"object":"event","type":"invoice.paid","data":{"n":1}}"#;
    let ts = now_secs();
    assert!(!duplicate(&inb, &stripe_signed(ts, body), body).await);
    forwarded(&inb, body).await;
    // Stripe's retry: the same body signed again at a later time.
    assert!(duplicate(&inb, &stripe_signed(ts - 30, body), body).await);
    assert!(duplicate(&inb, &stripe_signed(ts, body), body).await);
    let other = br#"{"object":"event","type":"invoice.paid","data":{"n":2}}"#;
    assert!(!duplicate(&inb, &stripe_signed(ts, other), other).await);
    forwarded(&inb, other).await;

    let msgs = inb.messages().await;
    assert_eq!(msgs.len(), 2, "two distinct events stored");
    assert!(msgs.iter().all(|m| m["eventId"].is_null()), "{msgs:?}");
    assert_eq!(inb.receiver.count(), 2);
}

#[tokio::test]
async fn github_without_delivery_id_is_deduplicated() {
    let secret = "It's a Secret to Everybody";
    let inb = setup("github", json!({ "secret": secret })).await;
    let signed = |body: &[u8]| {
        pairs(&[
            (
                "x-hub-signature-256",
                format!(
                    "sha256={}",
                    hex::encode(hmac256(secret.as_bytes(), &[body]))
                ),
            ),
            ("x-github-event", "push".into()),
            ("content-type", "application/json".into()),
        ])
    };
    let body = br#"{"ref":"refs/heads/main","after":"abc"}"#;
    assert!(!duplicate(&inb, &signed(body), body).await);
    forwarded(&inb, body).await;
    // A redelivery is the same body (here without its delivery id header).
    assert!(duplicate(&inb, &signed(body), body).await);
    let other = br#"{"ref":"refs/heads/main","after":"def"}"#;
    assert!(!duplicate(&inb, &signed(other), other).await);
    forwarded(&inb, other).await;
    assert_eq!(inb.messages().await.len(), 2);
}

#[tokio::test]
async fn generic_webhook_without_id_is_deduplicated_on_the_whole_request() {
    let inb = setup("generic-webhook", json!({})).await;
    let body = br#"{"status":"down","check":"api"}"#;
    assert!(!duplicate(&inb, &[], body).await);
    forwarded(&inb, body).await;
    assert!(duplicate(&inb, &[], body).await);
    // The same body with another query string is another request of an unsigned sender.
    let url = format!("{}?attempt=2", inb.url);
    let (status, text) = post_to(&inb.app, &url, &[], body).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["duplicate"],
        false
    );
    forwarded(&inb, body).await;
    let other = br#"{"status":"up","check":"api"}"#;
    assert!(!duplicate(&inb, &[], other).await);
    forwarded(&inb, other).await;
    assert_eq!(inb.messages().await.len(), 3);
}

#[tokio::test]
async fn twilio_get_webhooks_are_told_apart_by_their_query() {
    let token = "12345";
    let inb = setup("twilio", json!({ "secret": token })).await;
    // A GET webhook signs the full URL; its parameters are the query, the body is empty.
    let get = |call: &'static str| {
        let url = format!("{}?CallSid={call}&From=%2B14158675309", inb.url);
        let sig = b64(&hmac1(token.as_bytes(), &[url.as_bytes()]));
        let client = inb.app.client.clone();
        async move {
            let resp = client
                .get(&url)
                .header("x-twilio-signature", sig)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            let ack: Value = resp.json().await.unwrap();
            ack["duplicate"].as_bool().unwrap()
        }
    };
    assert!(!get("CA1").await);
    forwarded(&inb, b"").await;
    assert!(get("CA1").await, "the same request again is a duplicate");
    assert!(!get("CA2").await, "another call is another event");
    forwarded(&inb, b"").await;
    assert_eq!(inb.messages().await.len(), 2);
}
