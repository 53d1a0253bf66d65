//! Operational webhooks of endpoint changes: every change arrives signed, with Svix's
//! payload, at the org's operational endpoints; rotation, headers and filters work as for
//! any endpoint.

use reqwest::Method;
use serde_json::{json, Value};
use sluice_server::auth::{issue_org_token, DEFAULT_ORG};

use crate::delivery_common::verifies;
use crate::helpers::{expect_json, spawn_app};
use crate::opwebhooks_common::*;

/// The `data` of an endpoint event.
fn endpoint_data(app_id: &str, ep_id: &str, ep_uid: Value) -> Value {
    json!({"appId": app_id, "appUid": "acme", "endpointId": ep_id, "endpointUid": ep_uid})
}

#[tokio::test]
async fn every_endpoint_change_arrives_signed_with_svix_payloads() {
    let app = spawn_app().await;
    let op = op_endpoint(&app, &app.token, json!({"uid": "alerts"})).await;
    let headers = json!({"headers": {"X-Team": "on-call"}});
    let resp = app.put(&format!("{OP}/{}/headers", op.id), &headers).await;
    assert_eq!(resp.status(), 204);

    let customer = app
        .post_ok("/api/v1/app", &json!({"name": "Acme", "uid": "acme"}), 201)
        .await;
    let app_id = customer["id"].as_str().unwrap();
    let eps = format!("/api/v1/app/{app_id}/endpoint");
    let ep = app
        .post_ok(&eps, &json!({"url": "https://example.com/hook"}), 201)
        .await;
    let ep_id = ep["id"].as_str().unwrap();

    let (created, got) = next_event(&op.rx, &op.secret).await;
    assert_eq!(got.header("x-team"), "on-call", "custom headers are sent");
    assert_eq!(created["type"], "endpoint.created");
    assert_eq!(created["data"], endpoint_data(app_id, ep_id, Value::Null));
    assert!(created["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(
        got.header("webhook-id").starts_with("msg_"),
        "an operational webhook is a message"
    );

    // PUT: endpoint.updated, now with the endpoint's uid.
    let put = json!({"url": "https://example.com/hook2", "uid": "primary"});
    expect_json(app.put(&format!("{eps}/{ep_id}"), &put).await, 200).await;
    let (updated, _) = next_event(&op.rx, &op.secret).await;
    assert_eq!(updated["type"], "endpoint.updated");
    assert_eq!(
        updated["data"],
        endpoint_data(app_id, ep_id, json!("primary"))
    );

    // A user disables it: endpoint.updated and endpoint.disabled (manual).
    let off = json!({"disabled": true});
    expect_json(app.patch(&format!("{eps}/{ep_id}"), &off).await, 200).await;
    let got = next_events(&op.rx, &op.secret, 2).await;
    assert_eq!(got[0]["type"], "endpoint.disabled");
    let mut disabled = endpoint_data(app_id, ep_id, json!("primary"));
    disabled["failSince"] = Value::Null;
    disabled["trigger"] = json!("manual");
    assert_eq!(got[0]["data"], disabled);
    assert_eq!(got[1]["type"], "endpoint.updated");

    // Patching it disabled again changes nothing about `disabled`: updated only. Then
    // enabling: updated and enabled.
    expect_json(app.patch(&format!("{eps}/{ep_id}"), &off).await, 200).await;
    let (again, _) = next_event(&op.rx, &op.secret).await;
    assert_eq!(again["type"], "endpoint.updated");
    let on = json!({"url": "https://example.com/hook2", "uid": "primary", "disabled": false});
    expect_json(app.put(&format!("{eps}/{ep_id}"), &on).await, 200).await;
    let got = next_events(&op.rx, &op.secret, 2).await;
    assert_eq!(got[0]["type"], "endpoint.enabled");
    assert_eq!(
        got[0]["data"],
        endpoint_data(app_id, ep_id, json!("primary"))
    );
    assert_eq!(got[1]["type"], "endpoint.updated");

    let resp = app.delete(&format!("{eps}/{ep_id}")).await;
    assert_eq!(resp.status(), 204);
    let (deleted, _) = next_event(&op.rx, &op.secret).await;
    assert_eq!(deleted["type"], "endpoint.deleted");
    assert_eq!(
        deleted["data"],
        endpoint_data(app_id, ep_id, json!("primary"))
    );

    // Exactly these were published: none about the operational endpoint itself.
    assert_eq!(
        stored_events(&app, DEFAULT_ORG).await,
        [
            "endpoint.created",
            "endpoint.updated",
            "endpoint.updated",
            "endpoint.disabled",
            "endpoint.updated",
            "endpoint.updated",
            "endpoint.enabled",
            "endpoint.deleted",
        ]
    );
}

#[tokio::test]
async fn rotation_keeps_the_old_secret_valid_during_its_grace_only() {
    const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const NEW: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const NEWER: &str = "whsec_6Hk0vJ0o5Yqm4h7cZ1qkHq9r3H4pX0bS";
    let app = spawn_app().await;
    let op = op_endpoint(&app, &app.token, json!({"secret": OLD})).await;
    assert_eq!(op.secret, OLD);
    let app_id = app.create_app_id("Acme").await;

    let rotate = format!("{OP}/{}/secret/rotate", op.id);
    let resp = app.post(&rotate, &json!({"key": NEW})).await;
    assert_eq!(resp.status(), 204);
    let secret = app.get_ok(&format!("{OP}/{}/secret", op.id)).await;
    assert_eq!(secret["key"], NEW);
    app.create_endpoint(&app_id, "https://example.com/a").await;
    let (_, got) = next_event(&op.rx, NEW).await;
    assert!(
        verifies(OLD, &got),
        "the old secret verifies during the grace period"
    );

    // With no grace period, the replaced secret stops at once; the one retired before
    // is still within its own grace.
    let resp = app
        .post(&rotate, &json!({"key": NEWER, "gracePeriodSeconds": 0}))
        .await;
    assert_eq!(resp.status(), 204);
    app.create_endpoint(&app_id, "https://example.com/b").await;
    let (_, got) = next_event(&op.rx, NEWER).await;
    assert!(
        !verifies(NEW, &got),
        "a secret retired without grace no longer signs"
    );
    assert!(verifies(OLD, &got));
}

#[tokio::test]
async fn filter_types_filter_and_orgs_are_told_only_of_their_own() {
    let app = spawn_app().await;
    let other = issue_org_token(&app.state.jwt_secret, "org_other");
    let deletions = op_endpoint(
        &app,
        &app.token,
        json!({"filterTypes": ["endpoint.deleted"]}),
    )
    .await;
    let theirs = op_endpoint(&app, &other, json!({})).await;
    let listed = app.get_ok(OP).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["eventTypes"], json!(["endpoint.deleted"]));
    assert_eq!(
        listed["data"][0]["filterTypes"],
        json!(["endpoint.deleted"])
    );

    // Ours: created, then deleted; only the deletion passes the filter.
    let app_id = app.create_app_id("Acme").await;
    let ep = app.create_endpoint(&app_id, "https://example.com/a").await;
    let ep_id = ep["id"].as_str().unwrap();
    let resp = app
        .delete(&format!("/api/v1/app/{app_id}/endpoint/{ep_id}"))
        .await;
    assert_eq!(resp.status(), 204);
    // Theirs: one endpoint created in the other org.
    let resp = app
        .request_as(
            Method::POST,
            "/api/v1/app",
            Some(&other),
            Some(&json!({"name": "O"})),
        )
        .await;
    let their_app = expect_json(resp, 201).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = app
        .request_as(
            Method::POST,
            &format!("/api/v1/app/{their_app}/endpoint"),
            Some(&other),
            Some(&json!({"url": "https://example.com/o"})),
        )
        .await;
    let their_ep = expect_json(resp, 201).await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let (got, _) = next_event(&deletions.rx, &deletions.secret).await;
    assert_eq!(
        (got["type"].as_str(), got["data"]["endpointId"].as_str()),
        (Some("endpoint.deleted"), Some(ep_id))
    );
    let (got, _) = next_event(&theirs.rx, &theirs.secret).await;
    assert_eq!(got["type"], "endpoint.created");
    assert_eq!(got["data"]["endpointId"], their_ep.as_str());
    assert_eq!(got["data"]["appId"], their_app.as_str());

    // Each org's operational application holds its own events only; the filtered-out
    // creation was stored but never sent to the filtering endpoint.
    assert_eq!(
        stored_events(&app, DEFAULT_ORG).await,
        ["endpoint.created", "endpoint.deleted"]
    );
    assert_eq!(stored_events(&app, "org_other").await, ["endpoint.created"]);
    assert_eq!(deletions.rx.count(), 1);

    // A filter naming no operational event type is refused.
    let bad = json!({"url": "https://example.com/x", "filterTypes": ["invoice.paid"]});
    let resp = app.post(OP, &bad).await;
    let err = expect_json(resp, 422).await;
    assert!(err.to_string().contains("invoice.paid"), "{err}");
}
