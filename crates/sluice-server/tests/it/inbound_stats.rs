//! `GET /ingest/api/v1/stats` counts per organisation: each org's token sees its own
//! sources' traffic only, never another tenant's volume or rejections.

use serde_json::{json, Value};
use sluice_server::auth::issue_org_token;

use crate::helpers::{expect_json, spawn_app, TestApp};
use crate::inbound_common::post_to;

/// A generic-webhook source of the org of `token` that wants `Bearer right`; its URL.
async fn source(app: &TestApp, token: &str) -> String {
    let body = json!({"name": "g", "type": "generic-webhook",
                      "config": {"auth": [{"type": "bearer", "token": "right"}]}});
    let resp = app
        .request_as(
            reqwest::Method::POST,
            "/ingest/api/v1/source",
            Some(token),
            Some(&body),
        )
        .await;
    expect_json(resp, 201).await["ingestUrl"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn stats(app: &TestApp, token: &str) -> Value {
    let resp = app
        .request_as(
            reqwest::Method::GET,
            "/ingest/api/v1/stats",
            Some(token),
            None,
        )
        .await;
    expect_json(resp, 200).await
}

fn rejected(stats: &Value) -> u64 {
    stats["rejected"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn each_org_sees_only_its_own_counts() {
    let app = spawn_app().await;
    let org_b = issue_org_token(&app.state.jwt_secret, "org_B");
    let url_a = source(&app, &app.token).await;
    let url_b = source(&app, &org_b).await;
    let bearer = |t: &str| vec![("authorization".to_string(), format!("Bearer {t}"))];

    // Distinct bodies: id-less events with the same content are one event (content dedupe).
    for i in 0..2 {
        let body = format!("{{\"n\":{i}}}");
        let (status, text) = post_to(&app, &url_a, &bearer("right"), body.as_bytes()).await;
        assert_eq!(status, 200, "{text}");
    }
    for _ in 0..3 {
        let (status, _) = post_to(&app, &url_b, &bearer("wrong"), b"{}").await;
        assert_eq!(status, 401);
    }

    let a = stats(&app, &app.token).await;
    assert_eq!((a["accepted"].as_u64(), rejected(&a)), (Some(2), 0), "{a}");
    let b = stats(&app, &org_b).await;
    assert_eq!((b["accepted"].as_u64(), rejected(&b)), (Some(0), 3), "{b}");
    // An org without sources sees zeros, not the sum of the others.
    let c = stats(&app, &issue_org_token(&app.state.jwt_secret, "org_C")).await;
    assert_eq!((c["accepted"].as_u64(), rejected(&c)), (Some(0), 0), "{c}");
}
