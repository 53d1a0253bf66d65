//! A delivery arrives once, signed over exactly the stored bytes, with the endpoint's custom
//! headers; the signature header names follow the configuration; graceful shutdown records
//! in-flight sends; stored responses are bounded.

use std::sync::atomic::Ordering;

use serde_json::json;
use sluice_core::model::{DeliveryStatus, Trigger};

use crate::delivery_common::*;
use crate::helpers::{eventually, spawn_app, spawn_app_with, Receiver};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[tokio::test]
async fn delivered_once_signed_over_the_exact_stored_bytes() {
    let app = spawn_app().await;
    let rx = Receiver::ok().await;
    let s = app_with_endpoint(&app, &rx.url, json!({ "secret": SECRET })).await;
    // Unusual spacing and key order: the bytes must survive as sent.
    let payload = r#"{ "z": 1,  "a": [1, 2.50, "\u00e9"], "nested": {"k": null} }"#;
    let msg_id = publish_raw(&app, &s.app_id, payload).await;

    let got = rx.next(WAIT).await;
    let stored = app
        .state
        .store
        .get_message(&s.app_id, &msg_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        &got.body[..],
        stored.payload.as_bytes(),
        "body is the stored payload, byte for byte"
    );
    assert!(
        verifies(SECRET, &got),
        "signature verifies with the standardwebhooks crate"
    );
    assert!(
        !verifies("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", &got),
        "and not with another secret"
    );
    assert_eq!(got.header("webhook-id"), msg_id);
    assert_eq!(got.header("content-type"), "application/json");
    assert!(got.header("user-agent").starts_with("Sluice/"));
    let ts: i64 = got
        .header("webhook-timestamp")
        .parse()
        .expect("decimal seconds");
    assert_eq!(
        got.header("webhook-timestamp"),
        ts.to_string(),
        "canonical decimal"
    );

    let d = wait_status(&app, &msg_id, &s.ep_id, DeliveryStatus::Success).await;
    assert_eq!(d.attempts, 1);
    let list = attempts(&app, &s.app_id, &msg_id).await;
    assert_eq!(list.len(), 1, "one attempt row per try");
    let a = &list[0];
    assert_eq!(
        (a.status, a.response_status_code, a.trigger),
        (DeliveryStatus::Success, 200, Trigger::Scheduled)
    );
    assert_eq!(a.error_class.as_deref(), Some("success"));
    assert_eq!(a.url, rx.url);
    assert_eq!(a.endpoint_id, s.ep_id);
    assert_eq!(rx.count(), 1, "delivered exactly once");
}

#[tokio::test]
async fn custom_headers_are_sent_but_cannot_replace_signature_headers() {
    let app = spawn_app().await;
    let rx = Receiver::ok().await;
    let headers = json!({ "X-Tenant": "acme", "Authorization": "Bearer abc" });
    let s = app_with_endpoint(
        &app,
        &rx.url,
        json!({ "secret": SECRET, "headers": headers }),
    )
    .await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    let got = rx.next(WAIT).await;
    assert_eq!(got.header("x-tenant"), "acme");
    assert_eq!(got.header("authorization"), "Bearer abc");
    assert_eq!(got.header("webhook-id"), msg_id);
    assert!(verifies(SECRET, &got));
}

#[tokio::test]
async fn svix_header_names_when_configured() {
    let app =
        spawn_app_with(|c| c.signature_headers = sluice_server::config::SignatureHeaders::Svix)
            .await;
    let rx = Receiver::ok().await;
    let s = app_with_endpoint(&app, &rx.url, json!({ "secret": SECRET })).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    let got = rx.next(WAIT).await;
    assert_eq!(got.header("svix-id"), msg_id);
    assert!(got.headers.get("webhook-signature").is_none());
    // The same signature, under the Svix names.
    let mut renamed = got.clone();
    for (svix, webhook) in [
        ("svix-id", "webhook-id"),
        ("svix-timestamp", "webhook-timestamp"),
        ("svix-signature", "webhook-signature"),
    ] {
        let v = renamed.headers.remove(svix).expect("svix header present");
        renamed.headers.insert(webhook, v);
    }
    assert!(verifies(SECRET, &renamed));
}

#[tokio::test]
async fn stored_response_is_bounded_even_for_an_endless_body() {
    // A long timeout: a dispatcher that read the whole body would never finish the try.
    let app = spawn_app_with(|c| {
        c.max_response_bytes = 100;
        c.request_timeout = 600;
    })
    .await;
    let (url, count) = endless_body().await;
    let s = app_with_endpoint(&app, &url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    wait_status(&app, &msg_id, &s.ep_id, DeliveryStatus::Success).await;
    let list = attempts(&app, &s.app_id, &msg_id).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].response, "x".repeat(100));
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn shutdown_lets_in_flight_sends_finish_and_records_them() {
    let app = spawn_app().await;
    let rx = Gated::start().await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;
    rx.next().await; // the send is in flight, its reply held back
    let (state, addr) = (app.state.clone(), app.addr);
    // The store is read after the server stopped: keep its data (and, on PostgreSQL, its
    // schema and sessions) alive past `stop`.
    let _data = app.data_dir.clone();

    // Stop while the send is in flight; its reply is released only once the server is
    // visibly shutting down, and stop must wait for it and record it.
    let stopping = tokio::spawn(app.stop());
    eventually(WAIT, "the server stops accepting connections", || async {
        tokio::net::TcpStream::connect(addr)
            .await
            .is_err()
            .then_some(())
    })
    .await;
    rx.open(1);
    stopping.await.expect("server stopped cleanly");

    let page = sluice_store::Page {
        limit: 10,
        ..Default::default()
    };
    let deliveries = state
        .store
        .list_message_deliveries(&msg_id, page)
        .await
        .unwrap()
        .items;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        deliveries[0].1.status,
        DeliveryStatus::Success,
        "outcome recorded before shutdown returned"
    );
}
