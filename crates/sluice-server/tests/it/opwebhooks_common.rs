//! Shared set-up of the operational webhook tests: an operational endpoint created through
//! the routes as the Svix SDK calls them, pointing at a real receiver, and what that
//! receiver got.

use reqwest::Method;
use serde_json::{json, Value};
use sluice_server::auth::issue_org_token;
use sluice_server::ops::operational::MANAGEMENT_ORG;

use crate::delivery_common::{verifies, WAIT};
use crate::helpers::{expect_json, Received, Receiver, TestApp};

/// The operational webhook endpoint routes.
pub const OP: &str = "/api/v1/operational-webhook/endpoint";

/// An operational endpoint of the caller's (`token`'s) org.
pub struct OpEndpoint {
    /// `ep_…`
    pub id: String,
    /// Its signing secret, from the secret route.
    pub secret: String,
    /// Where it delivers.
    pub rx: Receiver,
}

/// Creates an operational endpoint for the org of `token` delivering to a new receiver,
/// with `extra` fields in the body; reads its secret back through the secret route.
pub async fn op_endpoint(app: &TestApp, token: &str, extra: Value) -> OpEndpoint {
    let rx = Receiver::ok().await;
    let mut body = json!({"url": rx.url, "description": "on-call"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    let resp = app
        .request_as(Method::POST, OP, Some(token), Some(&body))
        .await;
    let ep = expect_json(resp, 201).await;
    let id = ep["id"].as_str().unwrap().to_string();
    let resp = app
        .request_as(Method::GET, &format!("{OP}/{id}/secret"), Some(token), None)
        .await;
    let secret = expect_json(resp, 200).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    OpEndpoint { id, secret, rx }
}

/// The next operational webhook: its signature verified with `secret`, its body parsed.
pub async fn next_event(rx: &Receiver, secret: &str) -> (Value, Received) {
    let got = rx.next(WAIT).await;
    assert!(
        verifies(secret, &got),
        "an operational webhook verifies with the endpoint's secret"
    );
    let body: Value = serde_json::from_slice(&got.body).expect("a JSON body");
    (body, got)
}

/// The next `n` operational webhooks, each verified, in the order of their `type` (the
/// dispatcher may deliver concurrent messages in any order).
pub async fn next_events(rx: &Receiver, secret: &str, n: usize) -> Vec<Value> {
    let mut all = Vec::new();
    for _ in 0..n {
        all.push(next_event(rx, secret).await.0);
    }
    all.sort_by_key(|v| v["type"].as_str().unwrap_or_default().to_string());
    all
}

/// The event types of every operational message stored for `org`, oldest first (read
/// with a management-org token, as an operator would).
pub async fn stored_events(app: &TestApp, org: &str) -> Vec<String> {
    let token = issue_org_token(&app.state.jwt_secret, MANAGEMENT_ORG);
    let resp = app
        .request_as(
            Method::GET,
            &format!("/api/v1/app/{org}/msg?limit=250"),
            Some(&token),
            None,
        )
        .await;
    let v = expect_json(resp, 200).await;
    let mut types: Vec<String> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["eventType"].as_str().unwrap().to_string())
        .collect();
    types.reverse();
    types
}
