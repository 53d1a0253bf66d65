//! The sink's side of the dispatcher's events (`message.attempt.*`, the breaker, automatic
//! disables): emitted through `state.events` as the dispatcher emits them, each arrives
//! signed with Svix's payload. And `source.verification.failing` from the ingest route.

use serde_json::{json, Value};
use sluice_core::events::{AttemptRef, DeliveryRef, DisableTrigger, EndpointRef, OpEvent};
use sluice_server::auth::DEFAULT_ORG;

use crate::helpers::{spawn_app, spawn_app_with};
use crate::inbound_common::post_to;
use crate::opwebhooks_common::*;

const T: i64 = 1_700_000_000_000;
const T_TEXT: &str = "2023-11-14T22:13:20.000Z";

#[tokio::test]
async fn dispatcher_events_arrive_in_svix_shapes() {
    let app = spawn_app().await;
    let op = op_endpoint(&app, &app.token, json!({})).await;
    let customer = app
        .post_ok("/api/v1/app", &json!({"name": "Acme", "uid": "acme"}), 201)
        .await;
    let app_id = customer["id"].as_str().unwrap().to_string();
    let at = EndpointRef {
        app_id: app_id.clone(),
        app_uid: None,
        endpoint_id: "ep_1".into(),
        endpoint_uid: Some("primary".into()),
    };
    let delivery = DeliveryRef {
        endpoint: at.clone(),
        msg_id: "msg_1".into(),
        msg_event_id: Some("evt-1".into()),
        last_attempt: AttemptRef {
            id: "atmpt_1".into(),
            timestamp: T,
            response_status_code: 503,
        },
    };
    let endpoint = json!({
        "appId": app_id, "appUid": "acme", "endpointId": "ep_1", "endpointUid": "primary",
    });
    let mut attempt = endpoint.clone();
    attempt["msgId"] = json!("msg_1");
    attempt["msgEventId"] = json!("evt-1");
    attempt["lastAttempt"] =
        json!({"id": "atmpt_1", "timestamp": T_TEXT, "responseStatusCode": 503});
    let with = |base: &Value, extra: Value| {
        let mut v = base.clone();
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    let cases: Vec<(OpEvent, Value)> = vec![
        (OpEvent::AttemptFailing(delivery.clone()), attempt.clone()),
        (OpEvent::AttemptExhausted(delivery.clone()), attempt.clone()),
        (OpEvent::AttemptRecovered(delivery.clone()), attempt.clone()),
        (
            OpEvent::AttemptAuthFailed(delivery.clone()),
            attempt.clone(),
        ),
        (
            OpEvent::EndpointDisabled {
                endpoint: at.clone(),
                fail_since: Some(T),
                trigger: DisableTrigger::Automatic,
            },
            with(
                &endpoint,
                json!({"failSince": T_TEXT, "trigger": "automatic"}),
            ),
        ),
        (
            OpEvent::CircuitOpened {
                endpoint: at.clone(),
                failures: 7,
                until: T,
            },
            with(&endpoint, json!({"failures": 7, "until": T_TEXT})),
        ),
        (OpEvent::CircuitClosed(at.clone()), endpoint.clone()),
        (OpEvent::EndpointEnabled(at.clone()), endpoint.clone()),
    ];
    for (event, data) in cases {
        let ty = event.event_type();
        app.state.events.emit(event);
        let (got, _) = next_event(&op.rx, &op.secret).await;
        assert_eq!(got["type"], ty);
        assert_eq!(got["data"], data, "{ty}");
        assert!(got["timestamp"].is_string());
    }

    // An event about an application that does not exist (deleted meanwhile) stores
    // nothing; the next one still goes through.
    let mut gone = at.clone();
    gone.app_id = "app_gone".into();
    app.state.events.emit(OpEvent::CircuitClosed(gone));
    app.state.events.emit(OpEvent::CircuitClosed(at.clone()));
    let (got, _) = next_event(&op.rx, &op.secret).await;
    assert_eq!(got["data"]["appId"], app_id.as_str());
    assert_eq!(stored_events(&app, DEFAULT_ORG).await.len(), 9);
}

#[tokio::test]
async fn no_operational_endpoints_no_operational_messages() {
    let app = spawn_app().await;
    let app_id = app.create_app_id("Acme").await;
    app.create_endpoint(&app_id, "https://example.com/a").await;
    // The org's operational application appears with its first operational endpoint;
    // what happened before was not stored anywhere.
    let op = op_endpoint(&app, &app.token, json!({})).await;
    app.create_endpoint(&app_id, "https://example.com/b").await;
    let (got, _) = next_event(&op.rx, &op.secret).await;
    assert_eq!(got["type"], "endpoint.created");
    assert_eq!(stored_events(&app, DEFAULT_ORG).await, ["endpoint.created"]);
}

#[tokio::test]
async fn a_failing_source_is_reported_once_per_window() {
    let app = spawn_app_with(|c| {
        c.source_failure_alert_threshold = 3;
        c.source_failure_alert_window_secs = 3600;
    })
    .await;
    let op = op_endpoint(&app, &app.token, json!({})).await;
    let src = app
        .post_ok(
            "/ingest/api/v1/source",
            &json!({"name": "gh", "type": "github", "config": {"secret": "s3cret"}}),
            201,
        )
        .await;
    let src_id = src["id"].as_str().unwrap();
    let url = src["ingestUrl"].as_str().unwrap();
    // Unsigned requests: each is rejected (missing signature header).
    for _ in 0..5 {
        let (status, _) = post_to(&app, url, &[], b"{}").await;
        assert_eq!(status, 401);
    }
    let (got, _) = next_event(&op.rx, &op.secret).await;
    assert_eq!(got["type"], "source.verification.failing");
    assert_eq!(
        got["data"],
        json!({"sourceId": src_id, "rejected": 3, "windowSeconds": 3600, "reason": "missing_header"})
    );
    // Later events are published after it, and it was the only report of the window. (A
    // source's endpoints are reported like an application's: `appUid` is the source id.)
    let eps = format!("/ingest/api/v1/source/{src_id}/endpoint");
    let ep = app
        .post_ok(&eps, &json!({"url": "https://example.com/a"}), 201)
        .await;
    let (got, _) = next_event(&op.rx, &op.secret).await;
    assert_eq!(got["type"], "endpoint.created");
    assert_eq!(got["data"]["appUid"], src_id);
    assert_eq!(got["data"]["endpointId"], ep["id"]);
    assert_eq!(
        stored_events(&app, DEFAULT_ORG).await,
        ["source.verification.failing", "endpoint.created"]
    );
}
