//! `GET …/endpoint/{ep}/attempt-stats` (the SDK's `endpoint.get_attempt_stats`): attempts
//! by outcome over an hour-rounded window; and `…/stats` beside it.

use serde_json::json;
use sluice_core::clock::Clock;

use crate::delivery_common::{app_with_endpoint, publish};
use crate::helpers::{expect_json, spawn_stepped_app, Receiver, Reply};

const HOUR: i64 = 3_600_000;

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[tokio::test]
async fn attempts_are_counted_by_outcome_in_hour_windows() {
    let (app, dispatcher) = spawn_stepped_app(|c| c.retry_schedule = vec![5]).await;
    let rx = Receiver::scripted(vec![Reply::Status(500)], Reply::Status(200)).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    // Ten minutes into an hour, so both tries fall in one hour whatever the wall clock.
    let hour_start = (app.clock().now() / HOUR + 1) * HOUR;
    app.clock().set(hour_start + 10 * 60_000);
    publish(&app, &s.app_id, 1).await;
    let first = app.clock().now();
    assert_eq!(dispatcher.step(first).await.unwrap().retrying, 1);
    app.clock().advance(60_000);
    assert_eq!(
        dispatcher.step(app.clock().now()).await.unwrap().delivered,
        1
    );

    let path = format!(
        "/api/v1/app/{}/endpoint/{}/attempt-stats",
        s.app_id, s.ep_id
    );
    let all = app.get_ok(&path).await;
    assert_eq!(all, json!({"success": 1, "fail": 1, "canceled": 0}));
    // The window is rounded out to whole hours: two milliseconds of the hour count both.
    let around = format!(
        "{path}?since={}&until={}",
        rfc3339(first + 1),
        rfc3339(first + 2)
    );
    assert_eq!(app.get_ok(&around).await, all);
    // The hours after the tries hold none.
    let hour_after = hour_start + HOUR;
    let later = format!(
        "{path}?since={}&until={}",
        rfc3339(hour_after + 2 * HOUR),
        rfc3339(hour_after + 3 * HOUR)
    );
    assert_eq!(
        app.get_ok(&later).await,
        json!({"success": 0, "fail": 0, "canceled": 0})
    );
    // The delivery stats agree: one delivery, delivered.
    let stats = app
        .get_ok(&format!(
            "/api/v1/app/{}/endpoint/{}/stats",
            s.app_id, s.ep_id
        ))
        .await;
    assert_eq!(
        stats,
        json!({"success": 1, "pending": 0, "sending": 0, "fail": 0, "canceled": 0})
    );

    let backwards = format!(
        "{path}?since={}&until={}",
        rfc3339(first),
        rfc3339(first - HOUR)
    );
    let err = expect_json(app.get(&backwards).await, 422).await;
    assert_eq!(err["detail"][0]["loc"], json!(["query", "since"]), "{err}");
    let bad = expect_json(app.get(&format!("{path}?since=yesterday")).await, 422).await;
    assert!(bad["detail"].is_array(), "{bad}");
    let missing = format!("/api/v1/app/{}/endpoint/ep_missing/attempt-stats", s.app_id);
    assert_eq!(app.get(&missing).await.status(), 404);
}
