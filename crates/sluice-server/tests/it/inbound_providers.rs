//! End to end for the providers with official vectors (Standard Webhooks / Svix family,
//! Stripe, GitHub, Meta, Shopify, Slack, Zoom); see `inbound_check` for what is checked.

use serde_json::json;

use crate::inbound_check::{check, secret_only, Case};
use crate::inbound_common::*;

// --- Standard Webhooks / Svix family ------------------------------------------------------

/// SW-1's secret; SW-2's as the wrong one.
const SW1: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SW2: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

fn standard_sign(prefix: &str, secret: &str, ts: i64, body: &[u8]) -> Vec<(String, String)> {
    let key = standard_key(secret);
    let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    let sig = b64(&hmac256(
        &key,
        &[id.as_bytes(), b".", ts.to_string().as_bytes(), b".", body],
    ));
    pairs(&[
        (&format!("{prefix}-id"), id.to_string()),
        (&format!("{prefix}-timestamp"), ts.to_string()),
        (&format!("{prefix}-signature"), format!("v1,{sig}")),
    ])
}

/// A `whsec_` secret's key bytes.
fn standard_key(secret: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap()
}

fn standard_case(ty: &'static str, svix_headers: bool) -> Case {
    Case {
        ty,
        config: secret_only,
        secret: SW1,
        wrong: SW2,
        content_type: "application/json",
        body: |_| br#"{"type": "user.created", "data": {"id": 1}}"#.to_vec(),
        sign: if svix_headers {
            |s, ts, b, _| standard_sign("svix", s, ts, b)
        } else {
            |s, ts, b, _| standard_sign("webhook", s, ts, b)
        },
        signature_header: if svix_headers {
            "svix-signature"
        } else {
            "webhook-signature"
        },
        unsigned_code: "missing_header",
        forged_code: "bad_signature",
        stale: true,
        signed_body: true,
        event_id: Some("msg_p5jXN8AQM9LWM0D4loKWxJek"),
        event_type: "user.created",
    }
}

#[tokio::test]
async fn svix_signed_with_svix_headers() {
    check(standard_case("svix", true)).await;
}

#[tokio::test]
async fn clerk_signed_with_svix_headers() {
    check(standard_case("clerk", true)).await;
}

#[tokio::test]
async fn resend_signed_with_webhook_headers() {
    check(standard_case("resend", false)).await;
}

// --- Stripe -------------------------------------------------------------------------------

#[tokio::test]
async fn stripe() {
    check(Case {
        ty: "stripe",
        config: secret_only,
        secret: "whsec_test_secret",
        wrong: "whsec_other_secret",
        content_type: "application/json; charset=utf-8",
        body: |_| br#"{"id":"evt_test_webhook","object":"event","type":"invoice.paid"}"#.to_vec(),
        sign: |s, ts, b, _| {
            let sig = hex::encode(hmac256(s.as_bytes(), &[ts.to_string().as_bytes(), b".", b]));
            pairs(&[("stripe-signature", format!("t={ts},v1={sig}"))])
        },
        signature_header: "stripe-signature",
        unsigned_code: "missing_header",
        forged_code: "bad_signature",
        stale: true,
        signed_body: true,
        event_id: Some("evt_test_webhook"),
        event_type: "invoice.paid",
    })
    .await;
}

// --- GitHub, Meta (same scheme), Shopify ----------------------------------------------------

#[tokio::test]
async fn github() {
    check(Case {
        ty: "github",
        config: secret_only,
        // The GitHub docs' vector secret.
        secret: "It's a Secret to Everybody",
        wrong: "It's a Secret to Nobody",
        content_type: "application/json",
        body: |_| br#"{"zen":"Hello, World!","hook_id":1}"#.to_vec(),
        sign: |s, _, b, _| {
            pairs(&[
                (
                    "x-hub-signature-256",
                    format!("sha256={}", hex::encode(hmac256(s.as_bytes(), &[b]))),
                ),
                ("x-github-event", "ping".into()),
                (
                    "x-github-delivery",
                    "72d3162e-cc78-11e3-81ab-4c9367dc0958".into(),
                ),
                ("user-agent", "GitHub-Hookshot/044aadd".into()),
            ])
        },
        signature_header: "x-hub-signature-256",
        unsigned_code: "missing_header",
        forged_code: "bad_signature",
        stale: false,
        signed_body: true,
        event_id: Some("72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        event_type: "ping",
    })
    .await;
}

#[tokio::test]
async fn meta() {
    check(Case {
        ty: "meta",
        config: |s| json!({"secret": s, "verifyToken": "meta-verify"}),
        secret: "meta_app_secret",
        wrong: "meta_app_secrex",
        content_type: "application/json",
        body: |_| br#"{"object":"page","entry":[{"id":"1","time":1700000000}]}"#.to_vec(),
        sign: |s, _, b, _| {
            pairs(&[(
                "x-hub-signature-256",
                format!("sha256={}", hex::encode(hmac256(s.as_bytes(), &[b]))),
            )])
        },
        signature_header: "x-hub-signature-256",
        unsigned_code: "missing_header",
        forged_code: "bad_signature",
        stale: false,
        signed_body: true,
        event_id: None,
        event_type: "page",
    })
    .await;
}

#[tokio::test]
async fn shopify() {
    check(Case {
        ty: "shopify",
        config: secret_only,
        secret: "hush",
        wrong: "hash",
        content_type: "application/json",
        body: |_| br#"{"id":1}"#.to_vec(),
        sign: |s, _, b, _| {
            pairs(&[
                ("x-shopify-hmac-sha256", b64(&hmac256(s.as_bytes(), &[b]))),
                ("x-shopify-topic", "orders/create".into()),
                (
                    "x-shopify-webhook-id",
                    "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043".into(),
                ),
                ("x-shopify-shop-domain", "shop.myshopify.com".into()),
            ])
        },
        signature_header: "x-shopify-hmac-sha256",
        unsigned_code: "missing_header",
        forged_code: "bad_signature",
        stale: false,
        signed_body: true,
        event_id: Some("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"),
        event_type: "orders/create",
    })
    .await;
}

// --- Slack, Zoom (same basestring) ----------------------------------------------------------

fn v0_sign(sig_header: &str, ts_header: &str, s: &str, ts: i64, b: &[u8]) -> Vec<(String, String)> {
    let t = ts.to_string();
    let sig = hex::encode(hmac256(s.as_bytes(), &[b"v0:", t.as_bytes(), b":", b]));
    pairs(&[(sig_header, format!("v0={sig}")), (ts_header, t)])
}

#[tokio::test]
async fn slack() {
    check(Case {
        ty: "slack",
        config: secret_only,
        // The Slack docs' vector secret.
        secret: "8f742231b10e8888abcd99yyyzzz85a5",
        wrong: "8f742231b10e8888abcd99yyyzzz85a6",
        content_type: "application/json",
        body: |_| {
            br#"{"type":"event_callback","event_id":"Ev08MFMKH6","event":{"type":"app_mention"}}"#
                .to_vec()
        },
        sign: |s, ts, b, _| v0_sign("x-slack-signature", "x-slack-request-timestamp", s, ts, b),
        signature_header: "x-slack-signature",
        unsigned_code: "missing_header",
        forged_code: "bad_signature",
        stale: true,
        signed_body: true,
        event_id: Some("Ev08MFMKH6"),
        event_type: "app_mention",
    })
    .await;
}

#[tokio::test]
async fn zoom() {
    check(Case {
        ty: "zoom",
        config: secret_only,
        secret: "zoom_secret_token",
        wrong: "zoom_secret_tokem",
        content_type: "application/json",
        body: |_| br#"{"event":"meeting.started","payload":{"object":{"id":"1"}}}"#.to_vec(),
        sign: |s, ts, b, _| v0_sign("x-zm-signature", "x-zm-request-timestamp", s, ts, b),
        signature_header: "x-zm-signature",
        unsigned_code: "missing_header",
        forged_code: "bad_signature",
        stale: true,
        signed_body: true,
        event_id: None,
        event_type: "meeting.started",
    })
    .await;
}
