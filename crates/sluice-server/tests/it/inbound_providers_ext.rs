//! End to end for Paddle, Linear and Twilio (Sluice extensions: not SDK 2.9 types) and
//! `generic-webhook`; see `inbound_check` for what is checked.

use serde_json::json;

use crate::inbound_check::{check, secret_only, Case};
use crate::inbound_common::*;

#[tokio::test]
async fn paddle() {
    check(Case {
        ty: "paddle",
        config: secret_only,
        secret: "pdl_ntfset_01example_secret",
        wrong: "pdl_ntfset_01example_secrex",
        content_type: "application/json",
        body: |_| br#"{"event_id":"evt_01","event_type":"transaction.completed"}"#.to_vec(),
        sign: |s, ts, b, _| {
            let sig = hex::encode(hmac256(s.as_bytes(), &[ts.to_string().as_bytes(), b":", b]));
            pairs(&[("paddle-signature", format!("ts={ts};h1={sig}"))])
        },
        signature_header: "paddle-signature",
        unsigned_code: "missing_header",
        forged_code: "bad_signature",
        stale: true,
        signed_body: true,
        event_id: Some("evt_01"),
        event_type: "transaction.completed",
    })
    .await;
}

#[tokio::test]
async fn linear() {
    check(Case {
        ty: "linear",
        config: secret_only,
        secret: "lin_wh_secret",
        wrong: "lin_wh_secrex",
        content_type: "application/json; charset=utf-8",
        body: |ts| {
            format!(
                r#"{{"action":"create","type":"Issue","webhookTimestamp":{}}}"#,
                ts * 1000
            )
            .into_bytes()
        },
        sign: |s, _, b, _| {
            pairs(&[
                ("linear-signature", hex::encode(hmac256(s.as_bytes(), &[b]))),
                (
                    "linear-delivery",
                    "234d1a4e-b617-4388-90fe-adc3633d6b72".into(),
                ),
                ("linear-event", "Issue".into()),
            ])
        },
        signature_header: "linear-signature",
        unsigned_code: "missing_header",
        forged_code: "bad_signature",
        stale: true,
        signed_body: true,
        event_id: Some("234d1a4e-b617-4388-90fe-adc3633d6b72"),
        event_type: "Issue.create",
    })
    .await;
}

#[tokio::test]
async fn twilio_form_post() {
    check(Case {
        ty: "twilio",
        config: secret_only,
        // The twilio-python vector's auth token and parameters.
        secret: "12345",
        wrong: "54321",
        content_type: "application/x-www-form-urlencoded",
        body: |_| {
            b"CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"
                .to_vec()
        },
        sign: |s, _, b, url| {
            let mut params: Vec<(String, String)> =
                form_urlencoded_pairs(b);
            params.sort();
            let mut data = url.to_string();
            for (k, v) in params {
                data.push_str(&k);
                data.push_str(&v);
            }
            pairs(&[
                ("x-twilio-signature", b64(&hmac1(s.as_bytes(), &[data.as_bytes()]))),
                ("i-twilio-idempotency-token", "ed6d8f9c-8a1e-4f6a-9d1e-0a1b2c3d4e5f".into()),
            ])
        },
        signature_header: "x-twilio-signature",
        unsigned_code: "missing_header",
        forged_code: "bad_signature",
        stale: false,
        signed_body: true,
        event_id: Some("ed6d8f9c-8a1e-4f6a-9d1e-0a1b2c3d4e5f"),
        event_type: "ingest.twilio",
    })
    .await;
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8(body.to_vec())
        .unwrap()
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            let decode = |s: &str| s.replace("%2B", "+");
            (decode(k), decode(v))
        })
        .collect()
}

#[tokio::test]
async fn generic_webhook_with_a_bearer_token() {
    check(Case {
        ty: "generic-webhook",
        config: |s| json!({"auth": [{"type": "bearer", "token": s}], "idHeader": "x-event-id"}),
        secret: "generic-token-1",
        wrong: "generic-token-2",
        content_type: "text/plain",
        body: |_| b"plain text, not JSON \xe2\x9c\x93".to_vec(),
        sign: |s, _, _, _| {
            pairs(&[
                ("authorization", format!("Bearer {s}")),
                ("x-event-id", "gen-1".into()),
            ])
        },
        signature_header: "authorization",
        unsigned_code: "missing_credentials",
        forged_code: "bad_token",
        stale: false,
        signed_body: false,
        event_id: Some("gen-1"),
        event_type: "ingest.generic-webhook",
    })
    .await;
}
