//! `/api/v1/health`'s dispatcher entry: `ok` while the dispatcher makes progress, `error`
//! (503) once work has been due for longer than `dispatcher_stall_secs` while it made none,
//! `disabled` on a node that does not dispatch. Time is a manual clock; the dispatcher is
//! stepped, so "not progressing" is a dispatcher nobody steps.

use serde_json::{json, Value};
use sluice_core::clock::Clock;
use sluice_server::config::Role;

use crate::delivery_common::{app_with_endpoint, publish};
use crate::helpers::{spawn_app_with, spawn_stepped_app, Receiver, TestApp};

async fn health(app: &TestApp) -> (u16, Value) {
    let resp = app
        .client
        .get(app.url("/api/v1/health"))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn a_stalled_dispatcher_is_503_and_progress_heals_it() {
    let (app, dispatcher) = spawn_stepped_app(|c| c.dispatcher_stall_secs = 60).await;
    let (status, body) = health(&app).await;
    assert_eq!(
        (status, &body["dispatcher"]),
        (200, &json!({"status": "disabled"}))
    );
    // From here the node counts as dispatching (as a started dispatcher does), but nobody
    // steps it.
    app.state.heartbeat.arm(app.clock().now());
    let rx = Receiver::ok().await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    publish(&app, &s.app_id, 1).await;

    app.clock().advance(60_000);
    let (status, body) = health(&app).await;
    assert_eq!(
        status, 200,
        "due for exactly the threshold: not yet a stall {body}"
    );
    app.clock().advance(1);
    let (status, body) = health(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["dispatcher"]["status"], "error");
    assert_eq!(body["database"]["status"], "ok", "Svix's keys stay");

    // One pass of the dispatcher is progress: healthy again, and the work is done.
    let report = dispatcher.step(app.clock().now()).await.unwrap();
    assert_eq!(report.delivered, 1);
    let (status, body) = health(&app).await;
    assert_eq!(
        (status, body["dispatcher"]["status"].as_str()),
        (200, Some("ok"))
    );

    // An old heartbeat with nothing due is an idle queue, not a stall.
    app.clock().advance(3_600_000);
    let (status, body) = health(&app).await;
    assert_eq!(
        (status, body["dispatcher"]["status"].as_str()),
        (200, Some("ok"))
    );
}

#[tokio::test]
async fn dispatcher_status_follows_the_role() {
    for (role, want) in [
        (Role::All, "ok"),
        (Role::Worker, "ok"),
        (Role::Api, "disabled"),
    ] {
        let app = spawn_app_with(|c| c.role = role).await;
        let (status, body) = health(&app).await;
        assert_eq!(status, 200, "{role:?}: {body}");
        assert_eq!(body["dispatcher"]["status"], want, "{role:?}");
        for key in ["database", "queue", "cache"] {
            assert_eq!(body[key]["status"], "ok", "{role:?} {key}");
        }
    }
}
