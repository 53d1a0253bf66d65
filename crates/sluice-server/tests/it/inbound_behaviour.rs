//! The ingest route's behaviour beyond one provider: concurrent redelivery, the ack while
//! the destination hangs, token rotation, handshakes, limits, the IP allow-list, provider
//! secret rotation, and replay through the ordinary application routes.

use std::time::Duration;

use serde_json::{json, Value};
use sluice_server::ingest::tokens::token_hash;

use crate::delivery_common::WAIT;
use crate::helpers::{spawn_app, spawn_app_with, Receiver};
use crate::inbound_common::*;

const STRIPE_SECRET: &str = "whsec_test_secret";

fn stripe_headers(secret: &str, body: &[u8]) -> Vec<(String, String)> {
    let ts = now_secs();
    let sig = hex::encode(hmac256(
        secret.as_bytes(),
        &[ts.to_string().as_bytes(), b".", body],
    ));
    pairs(&[
        ("stripe-signature", format!("t={ts},v1={sig}")),
        ("content-type", "application/json".into()),
    ])
}

fn stripe_event(id: &str) -> Vec<u8> {
    format!(r#"{{"id":"{id}","object":"event","type":"charge.succeeded"}}"#).into_bytes()
}

#[tokio::test]
async fn twenty_concurrent_redeliveries_are_forwarded_once() {
    let inb = setup("stripe", json!({"secret": STRIPE_SECRET})).await;
    let body = stripe_event("evt_concurrent");
    let headers = stripe_headers(STRIPE_SECRET, &body);
    let posts: Vec<_> = (0..20).map(|_| inb.post(&headers, &body)).collect();
    let answers = futures::future::join_all(posts).await;
    let mut fresh = 0;
    for (status, text) in &answers {
        assert_eq!(*status, 200, "{text}");
        if serde_json::from_str::<Value>(text).unwrap()["duplicate"] == false {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1, "exactly one post was the first");
    inb.expect_forward(&body, "application/json", &headers)
        .await;
    // A later, distinct event is forwarded after it; by then any second copy would have been.
    let next = stripe_event("evt_after");
    let (status, _) = inb.post(&stripe_headers(STRIPE_SECRET, &next), &next).await;
    assert_eq!(status, 200);
    let got = inb.receiver.next(WAIT).await;
    assert_eq!(&got.body[..], &next[..], "the duplicate was not forwarded");
    assert_eq!(inb.messages().await.len(), 2);
}

#[tokio::test]
async fn the_ack_does_not_wait_for_a_hanging_destination() {
    let inb = setup_on(
        spawn_app().await,
        "stripe",
        json!({"secret": STRIPE_SECRET}),
        hanging_receiver().await,
    )
    .await;
    let first = stripe_event("evt_1");
    let (status, _) = inb
        .post(&stripe_headers(STRIPE_SECRET, &first), &first)
        .await;
    assert_eq!(status, 200);
    // The destination has the forward and never answers it...
    let got = inb.receiver.next(WAIT).await;
    assert_eq!(&got.body[..], &first[..]);
    // ...and the next event is still acknowledged, well within the delivery timeout.
    let second = stripe_event("evt_2");
    let started = std::time::Instant::now();
    let (status, _) = inb
        .post(&stripe_headers(STRIPE_SECRET, &second), &second)
        .await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn rotated_token_urls_work_until_they_expire() {
    let inb = setup("stripe", json!({"secret": STRIPE_SECRET})).await;
    let rotated = inb
        .app
        .post_ok(
            &format!("/ingest/api/v1/source/{}/token/rotate", inb.src_id),
            &json!({}),
            200,
        )
        .await;
    let new_url = rotated["ingestUrl"].as_str().unwrap().to_string();
    assert_ne!(new_url, inb.url);
    for (i, url) in [&inb.url, &new_url].into_iter().enumerate() {
        let body = stripe_event(&format!("evt_rot_{i}"));
        let (status, text) =
            post_to(&inb.app, url, &stripe_headers(STRIPE_SECRET, &body), &body).await;
        assert_eq!(status, 200, "{url}: {text}");
        inb.expect_forward(&body, "application/json", &[]).await;
    }
    // 48 hours later the old token no longer resolves; the new one does.
    let token = |url: &str| url.rsplit('/').next().unwrap().to_string();
    let later = sluice_core::now_millis() + 48 * 3_600_000 + 1;
    let store = &inb.app.state.store;
    assert!(store
        .source_by_token(&token_hash(&token(&inb.url)), later)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .source_by_token(&token_hash(&token(&new_url)), later)
        .await
        .unwrap()
        .is_some());
    // Unknown tokens are 404.
    let bogus = format!("{}/ingest/not-a-token", inb.app.base_url);
    let (status, text) = post_to(&inb.app, &bogus, &[], b"{}").await;
    assert_eq!((status, code_of(&text).as_str()), (404, "not_found"));
}

#[tokio::test]
async fn handshakes_are_answered_and_nothing_is_stored() {
    let app = spawn_app().await;
    let slack = setup_on(
        app,
        "slack",
        json!({"secret": "slack-secret"}),
        Receiver::ok().await,
    )
    .await;
    let body = br#"{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let ts = now_secs().to_string();
    let sig = hex::encode(hmac256(
        b"slack-secret",
        &[b"v0:", ts.as_bytes(), b":", body],
    ));
    let headers = pairs(&[
        ("x-slack-signature", format!("v0={sig}")),
        ("x-slack-request-timestamp", ts.clone()),
        ("content-type", "application/json".into()),
    ]);
    let (status, text) = slack.post(&headers, body).await;
    assert_eq!(
        (status, text.as_str()),
        (200, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    );
    assert!(slack.messages().await.is_empty());

    let zoom = setup_on(
        slack.app,
        "zoom",
        json!({"secret": "zoom_secret_token"}),
        Receiver::ok().await,
    )
    .await;
    let body = br#"{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1700000000000}"#;
    let sig = hex::encode(hmac256(
        b"zoom_secret_token",
        &[b"v0:", ts.as_bytes(), b":", body],
    ));
    let headers = pairs(&[
        ("x-zm-signature", format!("v0={sig}")),
        ("x-zm-request-timestamp", ts),
        ("content-type", "application/json".into()),
    ]);
    let (status, text) = zoom.post(&headers, body).await;
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    // signatures.md §13's Zoom CRC fixture.
    assert_eq!(
        answer,
        json!({"plainToken": "qgg8vlvZRS6UYooatFL8Aw",
               "encryptedToken": "bd48235863f4a6323ccc4963c594908b7c97f88b4a6a95278f4f093690b12726"})
    );
    assert!(zoom.messages().await.is_empty());

    let meta = setup_on(
        zoom.app,
        "meta",
        json!({"secret": "meta_app_secret", "verifyToken": "my-verify-token"}),
        Receiver::ok().await,
    )
    .await;
    let get = |q: &str| meta.app.client.get(format!("{}?{q}", meta.url)).send();
    let resp = get("hub.mode=subscribe&hub.verify_token=my-verify-token&hub.challenge=1158201444")
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "1158201444");
    let resp = get("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(code_of(&resp.text().await.unwrap()), "bad_token");
    assert!(meta.messages().await.is_empty());
    let stats = meta.app.get_ok("/ingest/api/v1/stats").await;
    assert_eq!(stats["handshakes"], 3);
    assert_eq!(stats["rejected"]["bad_token"], 1);
    assert_eq!(stats["accepted"], 0);
}

#[tokio::test]
async fn limits_and_text_bodies() {
    let app = spawn_app_with(|c| c.max_payload_bytes = 1024).await;
    let inb = setup_on(app, "generic-webhook", json!({}), Receiver::ok().await).await;
    let (status, text) = inb.post(&[], &vec![b'a'; 1025]).await;
    assert_eq!(
        (status, code_of(&text).as_str()),
        (413, "payload_too_large")
    );
    let (status, text) = inb.post(&[], b"\xff\xfe not utf-8").await;
    assert_eq!((status, code_of(&text).as_str()), (400, "bad_request"));
    let (status, _) = inb.post(&[], &vec![b'a'; 1024]).await;
    assert_eq!(status, 200, "exactly the limit is accepted");
    assert_eq!(inb.messages().await.len(), 1);
    let stats = inb.app.get_ok("/ingest/api/v1/stats").await;
    assert_eq!(
        (stats["tooLarge"].as_u64(), stats["notText"].as_u64()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn ip_allow_list_uses_the_peer_address() {
    let app = spawn_app().await;
    let closed = setup_on(
        app,
        "generic-webhook",
        json!({"allowedIps": ["10.0.0.0/8", "192.0.2.7"]}),
        Receiver::ok().await,
    )
    .await;
    let (status, text) = closed.post(&[], b"{}").await;
    assert_eq!((status, code_of(&text).as_str()), (403, "forbidden"));
    assert!(closed.messages().await.is_empty());
    let open = setup_on(
        closed.app,
        "generic-webhook",
        json!({"allowedIps": ["127.0.0.0/8"]}),
        Receiver::ok().await,
    )
    .await;
    let (status, _) = open.post(&[], b"{}").await;
    assert_eq!(status, 200);
    open.expect_forward(b"{}", "application/octet-stream", &[])
        .await;
}

#[tokio::test]
async fn a_replaced_provider_secret_is_accepted_during_its_grace_period() {
    let inb = setup("stripe", json!({"secret": "whsec_old"})).await;
    let put = inb
        .app
        .put(
            &format!("/ingest/api/v1/source/{}", inb.src_id),
            &json!({"name": "s", "type": "stripe", "config": {"secret": "whsec_new"}}),
        )
        .await;
    assert_eq!(put.status(), 200);
    for (i, secret) in ["whsec_old", "whsec_new"].into_iter().enumerate() {
        let body = stripe_event(&format!("evt_grace_{i}"));
        let (status, text) = inb.post(&stripe_headers(secret, &body), &body).await;
        assert_eq!(status, 200, "{secret}: {text}");
    }
    let body = stripe_event("evt_grace_x");
    let (status, _) = inb.post(&stripe_headers("whsec_never", &body), &body).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn attempts_and_resend_work_through_the_application_routes() {
    let inb = setup("stripe", json!({"secret": STRIPE_SECRET})).await;
    let body = stripe_event("evt_replay");
    let headers = stripe_headers(STRIPE_SECRET, &body);
    let (status, text) = inb.post(&headers, &body).await;
    assert_eq!(status, 200);
    let msg_id = serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    inb.expect_forward(&body, "application/json", &headers)
        .await;
    let app_path = format!("/api/v1/app/{}", inb.src_id);
    let attempts = crate::helpers::eventually(WAIT, "the attempt is recorded", || async {
        let v = inb
            .app
            .get_ok(&format!("{app_path}/attempt/msg/{msg_id}"))
            .await;
        let data = v["data"].as_array().unwrap().clone();
        (!data.is_empty()).then_some(data)
    })
    .await;
    assert_eq!(attempts[0]["responseStatusCode"], 200);
    let ep_id = attempts[0]["endpointId"].as_str().unwrap();
    let resp = inb
        .app
        .post(
            &format!("{app_path}/msg/{msg_id}/endpoint/{ep_id}/resend"),
            &json!({}),
        )
        .await;
    assert_eq!(resp.status(), 202);
    let again = inb
        .expect_forward(&body, "application/json", &headers)
        .await;
    assert_eq!(again.header("webhook-id"), msg_id);
    let msg = inb.app.get_ok(&format!("{app_path}/msg/evt_replay")).await;
    assert_eq!(msg["id"], msg_id.as_str());
    assert_eq!(
        msg["payload"],
        serde_json::from_slice::<Value>(&body).unwrap()
    );
}
