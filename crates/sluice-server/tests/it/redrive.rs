//! Dead letters and redrive end to end, with real receivers on 127.0.0.1: recover,
//! replay-missing and bulk replay each deliver every dead letter (or missing message)
//! exactly once more, counted per message id at the receiver; task progress reaches its
//! total and `finished`; a bulk replay's dry run counts what the run re-sends; a task whose
//! runner died resumes after its last batch without duplicates.
//!
//! Servers run with an empty retry schedule, so a failed first try dead-letters at once.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use sluice_core::clock::Clock;
use sluice_server::tasks::kinds::next_step;
use sluice_server::tasks::run::{run_due, LEASE_MS};

use crate::delivery_common::add_endpoint;
use crate::helpers::{eventually, spawn_app_with, spawn_stepped_app, Receiver, Reply, TestApp};

const PATIENCE: Duration = Duration::from_secs(20);

async fn one_try_app() -> TestApp {
    spawn_app_with(|c| c.retry_schedule = vec![]).await
}

/// An hour ago, as the API takes it.
fn an_hour_ago() -> String {
    sluice_core::millis_to_rfc3339(sluice_core::now_millis() - 3_600_000)
}

async fn publish(app: &TestApp, app_id: &str, event_type: &str, channels: Value) -> String {
    let msg = app
        .post_ok(
            &format!("/api/v1/app/{app_id}/msg"),
            &json!({"eventType": event_type, "payload": {"t": event_type}, "channels": channels}),
            202,
        )
        .await;
    msg["id"].as_str().unwrap().to_string()
}

/// Takes the next `n` requests of `rx` and counts them by message id (`webhook-id`).
async fn take(rx: &Receiver, n: usize) -> BTreeMap<String, usize> {
    let mut by_msg = BTreeMap::new();
    for _ in 0..n {
        *by_msg
            .entry(rx.next(PATIENCE).await.header("webhook-id"))
            .or_insert(0) += 1;
    }
    by_msg
}

/// Waits until the task is no longer running; returns it.
async fn finished(app: &TestApp, task_id: &str) -> Value {
    let path = format!("/api/v1/background-task/{task_id}");
    eventually(PATIENCE, "the background task to end", || async {
        let t = app.get_ok(&path).await;
        (t["status"] != "running").then_some(t)
    })
    .await
}

/// The endpoint's dead letters (the list's first page, up to 250).
async fn dead(app: &TestApp, app_id: &str, ep_id: &str, query: &str) -> Vec<Value> {
    let page = app
        .get_ok(&format!(
            "/api/v1/app/{app_id}/endpoint/{ep_id}/dead-letter?limit=250{query}"
        ))
        .await;
    page["data"].as_array().unwrap().clone()
}

/// Waits until no delivery of the endpoint is pending or in flight.
async fn settled(app: &TestApp, app_id: &str, ep_id: &str) {
    let path = format!("/api/v1/app/{app_id}/endpoint/{ep_id}/stats");
    eventually(PATIENCE, "the endpoint's deliveries to settle", || async {
        let s = app.get_ok(&path).await;
        (s["pending"] == 0 && s["sending"] == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn recover_delivers_each_dead_letter_once_more_and_lists_them_first() {
    let app = one_try_app().await;
    let rx = Receiver::scripted(vec![Reply::Status(500); 5], Reply::Status(200)).await;
    let app_id = app.create_app_id("redrive").await;
    let ep = add_endpoint(&app, &app_id, &rx.url, json!({})).await;
    let mut msgs = Vec::new();
    for t in ["a", "a", "a", "b", "b"] {
        msgs.push(publish(&app, &app_id, t, json!(null)).await);
    }
    let first = take(&rx, 5).await;
    assert!(first.values().all(|n| *n == 1));
    let listed = eventually(PATIENCE, "five dead letters", || async {
        let d = dead(&app, &app_id, &ep, "").await;
        (d.len() == 5).then_some(d)
    })
    .await;

    // What a dead letter shows, and the filters.
    let newest = &listed[0];
    assert_eq!(newest["msgId"], json!(msgs[4]), "newest first");
    assert_eq!(
        (
            newest["endpointId"].clone(),
            newest["eventType"].clone(),
            newest["lastAttempt"]["responseStatusCode"].clone(),
            newest["lastAttempt"]["errorClass"].clone(),
            newest["payloadExpunged"].clone(),
        ),
        (
            json!(ep),
            json!("b"),
            json!(500),
            json!("transient"),
            json!(false)
        )
    );
    assert!(newest["failedAt"].is_string() && newest["lastAttempt"]["id"].is_string());
    assert_eq!(dead(&app, &app_id, &ep, "&event_types=b").await.len(), 2);
    assert_eq!(dead(&app, &app_id, &ep, "&status_code=500").await.len(), 5);
    assert_eq!(dead(&app, &app_id, &ep, "&status_code=503").await.len(), 0);
    assert_eq!(
        dead(&app, &app_id, &ep, "&status_code_class=500")
            .await
            .len(),
        5
    );
    assert_eq!(
        dead(&app, &app_id, &ep, "&status_code_class=400")
            .await
            .len(),
        0
    );
    let hour_ago = an_hour_ago();
    let in_a_minute = sluice_core::millis_to_rfc3339(sluice_core::now_millis() + 60_000);
    assert_eq!(
        dead(&app, &app_id, &ep, &format!("&after={hour_ago}"))
            .await
            .len(),
        5
    );
    assert_eq!(
        dead(&app, &app_id, &ep, &format!("&before={hour_ago}"))
            .await
            .len(),
        0
    );
    assert_eq!(
        dead(&app, &app_id, &ep, &format!("&after={in_a_minute}"))
            .await
            .len(),
        0
    );
    let of_app = app
        .get_ok(&format!("/api/v1/app/{app_id}/dead-letter?limit=3"))
        .await;
    assert_eq!(
        (
            of_app["data"].as_array().unwrap().len(),
            of_app["done"].clone()
        ),
        (3, json!(false))
    );
    let rest = app
        .get_ok(&format!(
            "/api/v1/app/{app_id}/dead-letter?limit=3&iterator={}",
            of_app["iterator"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (rest["data"].as_array().unwrap().len(), rest["done"].clone()),
        (2, json!(true))
    );
    let bad = app
        .get(&format!(
            "/api/v1/app/{app_id}/dead-letter?status_code_class=250"
        ))
        .await;
    assert_eq!(bad.status(), 422);

    let task = app
        .post_ok(
            &format!("/api/v1/app/{app_id}/endpoint/{ep}/recover"),
            &json!({"since": an_hour_ago()}),
            202,
        )
        .await;
    assert_eq!(
        (task["status"].clone(), task["task"].clone()),
        (json!("running"), json!("endpoint.recover"))
    );
    let again = take(&rx, 5).await;
    assert_eq!(
        again.keys().collect::<Vec<_>>(),
        first.keys().collect::<Vec<_>>()
    );
    assert!(
        again.values().all(|n| *n == 1),
        "each dead letter once more: {again:?}"
    );
    let done = finished(&app, task["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "finished");
    assert_eq!(
        done["data"],
        json!({"messagesSent": 5, "processed": 5, "total": 5})
    );
    settled(&app, &app_id, &ep).await;
    assert_eq!(rx.count(), 10, "nothing sent beyond one try each");
    assert!(dead(&app, &app_id, &ep, "").await.is_empty());

    // Listed among the org's tasks, with the filters.
    let tasks = app
        .get_ok("/api/v1/background-task?task=endpoint.recover&status=finished")
        .await;
    assert!(tasks["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == task["id"]));
    let none = app
        .get_ok("/api/v1/background-task?task=endpoint.replay")
        .await;
    assert!(none["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["task"] == "endpoint.replay"));
    assert_eq!(
        app.get("/api/v1/background-task?status=done")
            .await
            .status(),
        422
    );
    assert_eq!(
        app.get("/api/v1/background-task/qtask_2Z0000000000000000000000000")
            .await
            .status(),
        404
    );

    // Nothing is dead any more: a second recover sends nothing.
    let second = app
        .post_ok(
            &format!("/api/v1/app/{app_id}/endpoint/{ep}/recover"),
            &json!({"since": an_hour_ago()}),
            202,
        )
        .await;
    let done = finished(&app, second["id"].as_str().unwrap()).await;
    assert_eq!(done["data"]["messagesSent"], 0);
    assert_eq!(rx.count(), 10);
}

#[tokio::test]
async fn replay_missing_sends_each_missing_matching_message_once() {
    let app = one_try_app().await;
    let rx_a = Receiver::ok().await;
    let app_id = app.create_app_id("replay").await;
    add_endpoint(&app, &app_id, &rx_a.url, json!({})).await;
    let mut wanted = Vec::new();
    for ch in ["c1", "c1", "c2", "c1"] {
        let id = publish(&app, &app_id, "e", json!([ch])).await;
        if ch == "c1" {
            wanted.push(id);
        }
    }
    take(&rx_a, 4).await;
    // Created afterwards: it never had a delivery of them. It takes channel c1 only.
    let rx_b = Receiver::ok().await;
    let b = add_endpoint(&app, &app_id, &rx_b.url, json!({"channels": ["c1"]})).await;

    let path = format!("/api/v1/app/{app_id}/endpoint/{b}/replay-missing");
    let task = app
        .post_ok(&path, &json!({"since": an_hour_ago()}), 202)
        .await;
    assert_eq!(task["task"], "endpoint.replay");
    let got = take(&rx_b, 3).await;
    wanted.sort();
    assert_eq!(got.keys().cloned().collect::<Vec<_>>(), wanted);
    assert!(got.values().all(|n| *n == 1));
    let done = finished(&app, task["id"].as_str().unwrap()).await;
    assert_eq!(done["data"], json!({"messagesSent": 3, "processed": 4}));

    // Nothing is missing now.
    let task = app
        .post_ok(&path, &json!({"since": an_hour_ago()}), 202)
        .await;
    let done = finished(&app, task["id"].as_str().unwrap()).await;
    assert_eq!(done["data"]["messagesSent"], 0);
    settled(&app, &app_id, &b).await;
    assert_eq!((rx_a.count(), rx_b.count()), (4, 3));
    app.post_ok(&path, &json!({"since": "then"}), 422).await;
    let until_before_since = json!({"since": an_hour_ago(), "until": "2020-01-01T00:00:00Z"});
    app.post_ok(&path, &until_before_since, 422).await;
}

#[tokio::test]
async fn bulk_replay_dry_run_counts_what_the_run_resends() {
    let app = one_try_app().await;
    let rx = Receiver::scripted(vec![Reply::Status(500); 2], Reply::Status(200)).await;
    let app_id = app.create_app_id("bulk").await;
    let ep = add_endpoint(&app, &app_id, &rx.url, json!({})).await;
    let mut of_type: BTreeMap<String, &str> = BTreeMap::new();
    for t in ["a", "a", "a", "b", "b"] {
        of_type.insert(publish(&app, &app_id, t, json!(null)).await, t);
    }
    take(&rx, 5).await;
    settled(&app, &app_id, &ep).await;
    let path = format!("/api/v1/app/{app_id}/endpoint/{ep}/bulk-replay");
    let since = an_hour_ago();
    let count = |body: Value| {
        let (app, path) = (&app, &path);
        async move {
            app.post_ok(&format!("{path}?dry_run=true"), &body, 200)
                .await["count"]
                .clone()
        }
    };
    assert_eq!(count(json!({"since": since})).await, 5);
    assert_eq!(count(json!({"since": since, "status": 2})).await, 2);
    assert_eq!(count(json!({"since": since, "status": 0})).await, 3);
    assert_eq!(
        count(json!({"since": since, "statusCodeClass": 500})).await,
        2
    );
    assert_eq!(count(json!({"since": since, "eventTypes": ["b"]})).await, 2);
    assert_eq!(count(json!({"since": since, "tag": "none"})).await, 0);
    app.post_ok(&path, &json!({"since": since, "statusCodeClass": 250}), 422)
        .await;
    app.post_ok(&path, &json!({"since": since, "status": 9}), 422)
        .await;
    // Dry runs queued nothing.
    assert_eq!(dead(&app, &app_id, &ep, "").await.len(), 2);
    assert_eq!(rx.count(), 5);

    let only_a = json!({"since": since, "eventTypes": ["a"]});
    let predicted = count(only_a.clone()).await;
    assert_eq!(predicted, 3);
    let task = app.post_ok(&path, &only_a, 202).await;
    assert_eq!(
        (task["status"].clone(), task["task"].clone()),
        (json!("running"), json!("endpoint.bulk-replay"))
    );
    let again = take(&rx, 3).await;
    assert!(
        again.iter().all(|(m, n)| of_type[m] == "a" && *n == 1),
        "{again:?}"
    );
    let done = finished(&app, task["id"].as_str().unwrap()).await;
    assert_eq!(done["data"]["messagesSent"], predicted);
    assert_eq!(done["data"]["total"], predicted);
    assert_eq!(done["data"]["processed"], predicted);
    settled(&app, &app_id, &ep).await;
    assert_eq!(rx.count(), 8);
}

#[tokio::test]
async fn an_interrupted_task_resumes_after_its_last_batch_without_duplicates() {
    let (app, dispatcher) = spawn_stepped_app(|c| {
        c.retry_schedule = vec![];
        c.task_batch_size = 3;
    })
    .await;
    let rx = Receiver::scripted(vec![Reply::Status(500); 7], Reply::Status(200)).await;
    let app_id = app.create_app_id("resume").await;
    let ep = add_endpoint(&app, &app_id, &rx.url, json!({})).await;
    for _ in 0..7 {
        publish(&app, &app_id, "e", json!(null)).await;
    }
    let first = dispatcher.step(app.clock().now()).await.unwrap();
    assert_eq!((first.claimed, first.failed), (7, 7));
    app.clock().advance(1_000);
    let task = app
        .post_ok(
            &format!("/api/v1/app/{app_id}/endpoint/{ep}/recover"),
            &json!({"since": sluice_core::millis_to_rfc3339(app.clock().now() - 3_600_000)}),
            202,
        )
        .await;
    let task_id = task["id"].as_str().unwrap();

    // A runner takes the task, commits one batch of three, and dies.
    let store = &app.state.store;
    let ghost = store
        .claim_task("ghost", app.clock().now(), LEASE_MS)
        .await
        .unwrap()
        .expect("the task is runnable");
    let step = next_step(&**store, &ghost, 3).await.expect("a batch");
    let n = store
        .advance_task(step, app.clock().now(), LEASE_MS)
        .await
        .unwrap();
    assert_eq!(n, Some(3));
    // The seven failures opened the endpoint's circuit, and the recover brought its probe
    // forward: one delivery goes alone first, and once it succeeds the other two follow.
    let probe = dispatcher.step(app.clock().now()).await.unwrap();
    assert_eq!((probe.claimed, probe.delivered), (1, 1));
    let rest = dispatcher.step(app.clock().now()).await.unwrap();
    assert_eq!((rest.claimed, rest.delivered), (2, 2));
    // While its lease runs, nobody else takes the task.
    assert_eq!(run_due(&app.state, "node-b").await.unwrap(), 0);
    let mid = app
        .get_ok(&format!("/api/v1/background-task/{task_id}"))
        .await;
    assert_eq!(
        (mid["status"].clone(), mid["data"]["messagesSent"].clone()),
        (json!("running"), json!(3))
    );

    // The lease runs out: another runner resumes after the committed batch.
    app.clock().advance(LEASE_MS + 1);
    assert_eq!(run_due(&app.state, "node-b").await.unwrap(), 1);
    // The dead runner's late batch is refused.
    let late = next_step(&**store, &ghost, 3).await.expect("a batch");
    assert_eq!(
        store
            .advance_task(late, app.clock().now(), LEASE_MS)
            .await
            .unwrap(),
        None
    );
    let r = dispatcher.step(app.clock().now()).await.unwrap();
    assert_eq!((r.claimed, r.delivered), (4, 4));
    let per_msg = take(&rx, 14).await;
    assert_eq!(per_msg.len(), 7);
    assert!(per_msg.values().all(|n| *n == 2), "{per_msg:?}");
    let done = app
        .get_ok(&format!("/api/v1/background-task/{task_id}"))
        .await;
    assert_eq!(done["status"], "finished");
    assert_eq!(
        done["data"],
        json!({"messagesSent": 7, "processed": 7, "total": 7})
    );
    let idle = dispatcher.step(app.clock().advance(60_000)).await.unwrap();
    assert_eq!((idle.claimed, rx.count()), (0, 14));
}

#[tokio::test]
async fn expunge_all_bulk_expunge_and_usage_stats() {
    let app = one_try_app().await;
    let rx = Receiver::ok().await;
    let app_id = app.create_app_id("purge").await;
    let ep = add_endpoint(&app, &app_id, &rx.url, json!({})).await;
    let mut msgs = Vec::new();
    for _ in 0..3 {
        msgs.push(publish(&app, &app_id, "e", json!(null)).await);
    }
    take(&rx, 3).await;
    settled(&app, &app_id, &ep).await;

    // Usage over the last hour: three messages, three deliveries, three good attempts.
    let until = sluice_core::millis_to_rfc3339(sluice_core::now_millis() + 60_000);
    let body = json!({"since": an_hour_ago(), "until": until, "appIds": [app_id, "nope"]});
    let stats = app.post_ok("/api/v1/stats/usage/app", &body, 202).await;
    assert_eq!(
        (stats["task"].clone(), stats["unresolvedAppIds"].clone()),
        (json!("application.stats"), json!(["nope"]))
    );
    let done = finished(&app, stats["id"].as_str().unwrap()).await;
    let row = &done["data"]["appStats"][0];
    assert_eq!(
        (
            row["appId"].clone(),
            row["messageDestinations"].clone(),
            row["messages"].clone(),
            row["successfulAttempts"].clone(),
            row["failedAttempts"].clone()
        ),
        (json!(app_id), json!(3), json!(3), json!(3), json!(0))
    );
    let none = json!({"since": an_hour_ago(), "until": until, "appIds": ["nope"]});
    app.post_ok("/api/v1/stats/usage/app", &none, 422).await;

    let bulk = app
        .post_ok(
            &format!("/api/v1/app/{app_id}/msg/bulk-expunge"),
            &json!({"ids": [msgs[0], "msg_missing"]}),
            200,
        )
        .await;
    assert_eq!(
        bulk["results"],
        json!({msgs[0].clone(): "expunged", "msg_missing": "not-found"})
    );
    let too_many: Vec<String> = (0..101).map(|i| format!("m{i}")).collect();
    app.post_ok(
        &format!("/api/v1/app/{app_id}/msg/bulk-expunge"),
        &json!({"ids": too_many}),
        422,
    )
    .await;

    let task = app
        .post_ok(
            &format!("/api/v1/app/{app_id}/msg/expunge-all-contents"),
            &json!({}),
            202,
        )
        .await;
    assert_eq!(task["task"], "application.purge_content");
    let done = finished(&app, task["id"].as_str().unwrap()).await;
    assert_eq!(done["data"], json!({"messagesPurged": 2, "processed": 3}));
    for m in &msgs {
        let got = app.get_ok(&format!("/api/v1/app/{app_id}/msg/{m}")).await;
        assert_eq!(got["payload"], json!({"expired": true}), "{m}");
    }
    // Resend is refused now: nothing left to send.
    let resend = app
        .post(
            &format!("/api/v1/app/{app_id}/msg/{}/endpoint/{ep}/resend", msgs[1]),
            &json!({}),
        )
        .await;
    assert_eq!(resend.status(), 400);
}
