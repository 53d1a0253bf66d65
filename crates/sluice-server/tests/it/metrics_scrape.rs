//! `/metrics`: scraped and read with a Prometheus text-format parser. The recorder is one
//! per process and every test server of this binary records into it, so counters are
//! checked as deltas between two scrapes (at least what this test did; exactly, where its
//! labels are its own). The queue gauges are sampled from the scraped server's own store
//! under a process-wide lock, so they are exact.

use std::collections::BTreeSet;

use prometheus_parse::{Scrape, Value};
use serde_json::json;
use sluice_core::clock::Clock;
use sluice_server::config::Role;
use sluice_server::telemetry::{bounded_label, series};

use crate::delivery_common::{app_with_endpoint, publish, wait_attempts};
use crate::helpers::{spawn_app, spawn_app_with, spawn_stepped_app, Receiver, Reply, TestApp};
use crate::inbound_common::post_to;

/// GETs `url` and parses it as the Prometheus text format.
pub async fn scrape_url(client: &reqwest::Client, url: &str) -> Scrape {
    let resp = client.get(url).send().await.expect("metrics reachable");
    assert_eq!(resp.status(), 200, "GET {url}");
    let ctype = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    let text = resp.text().await.unwrap();
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("valid exposition text")
}

/// The main listener's `/metrics`.
pub async fn scrape(app: &TestApp) -> Scrape {
    scrape_url(&app.client, &app.url("/metrics")).await
}

/// The samples of `name` whose labels include `labels`.
fn samples<'a>(
    s: &'a Scrape,
    name: &'a str,
    labels: &'a [(&str, &str)],
) -> impl Iterator<Item = &'a prometheus_parse::Sample> + 'a {
    s.samples.iter().filter(move |x| {
        x.metric == name && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v))
    })
}

/// The sum of the counter, gauge or untyped samples of `name` matching `labels` (0 if none).
fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    samples(s, name, labels)
        .map(|x| match x.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            _ => panic!("{name} is not a scalar: {:?}", x.value),
        })
        .sum()
}

/// Asserts that `name` is present, of the type `is` accepts, and that each sample carries
/// exactly the label names `labels`.
fn assert_series(s: &Scrape, name: &str, is: fn(&Value) -> bool, labels: &[&str]) {
    let found: Vec<_> = samples(s, name, &[]).collect();
    assert!(!found.is_empty(), "{name} missing from the scrape");
    for x in found {
        assert!(is(&x.value), "{name} has the wrong type: {:?}", x.value);
        let mut got: Vec<&str> = x.labels.keys().map(String::as_str).collect();
        got.sort_unstable();
        let mut want = labels.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "labels of {name}");
    }
}

fn counter(v: &Value) -> bool {
    matches!(v, Value::Counter(_))
}
fn gauge(v: &Value) -> bool {
    matches!(v, Value::Gauge(_))
}
fn histogram(v: &Value) -> bool {
    matches!(v, Value::Histogram(_))
}

/// A generic-webhook source wanting `Bearer right`; its ingest URL.
async fn bearer_source(app: &TestApp) -> String {
    let body = json!({"name": "g", "type": "generic-webhook",
                      "config": {"auth": [{"type": "bearer", "token": "right"}]}});
    let src = app.post_ok("/ingest/api/v1/source", &body, 201).await;
    src["ingestUrl"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn series_exist_with_their_types_and_labels_and_move() {
    let app = spawn_app().await;
    let rx = Receiver::ok().await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let source_url = bearer_source(&app).await;
    let before = scrape(&app).await;

    let mut msgs = Vec::new();
    for i in 0..3 {
        msgs.push(publish(&app, &s.app_id, i).await);
    }
    for msg in &msgs {
        wait_attempts(&app, &s.app_id, msg, 1).await;
    }
    let wrong = vec![("authorization".to_string(), "Bearer wrong".to_string())];
    let (status, body) = post_to(&app, &source_url, &wrong, b"{}").await;
    assert_eq!(status, 401, "{body}");
    let reason: serde_json::Value = serde_json::from_str(&body).unwrap();
    let reason = reason["code"].as_str().unwrap().to_string();
    let (status, _) = post_to(&app, &app.url("/ingest/not-a-token"), &[], b"{}").await;
    assert_eq!(status, 404);
    let after = scrape(&app).await;

    // Types and label sets.
    assert_series(&after, series::INGESTED, counter, &["app", "source"]);
    assert_series(&after, series::QUEUE_DELIVERIES, gauge, &["state"]);
    assert_series(&after, series::QUEUE_LAG, gauge, &[]);
    assert_series(&after, series::DEAD_LETTERS, gauge, &[]);
    assert_series(&after, series::INBOUND_REJECTIONS, counter, &["reason"]);
    for name in ["sluice_store_commit_seconds", "sluice_store_batch_size"] {
        assert_series(&after, name, histogram, &["op"]);
        for op in ["ingest", "outcomes", "claim"] {
            assert!(
                samples(&after, name, &[("op", op)]).next().is_some(),
                "{name} {op}"
            );
        }
    }
    let states: BTreeSet<&str> = samples(&after, series::QUEUE_DELIVERIES, &[])
        .filter_map(|x| x.labels.get("state"))
        .collect();
    assert_eq!(
        states,
        BTreeSet::from(["due", "held", "in_flight", "scheduled"])
    );
    for name in [
        series::QUEUE_LAG,
        series::INBOUND_REJECTIONS,
        series::SAMPLE_FAILURES,
    ] {
        assert!(after.docs.contains_key(name), "{name} has no HELP line");
    }
    // Nothing but listed series (a histogram's _count and _sum are its own).
    for x in &after.samples {
        assert!(
            series::find(&x.metric).is_some(),
            "{} is not listed",
            x.metric
        );
    }

    // They moved.
    let delta = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    let app_label = bounded_label("app", &s.app_id);
    let published = delta(series::INGESTED, &[("app", &app_label), ("source", "api")]);
    if app_label == s.app_id {
        assert_eq!(published, 3.0);
    } else {
        assert!(published >= 3.0, "{published}");
    }
    for op in ["ingest", "outcomes", "claim"] {
        let commits = delta("sluice_store_commit_seconds_count", &[("op", op)]);
        assert!(commits >= 1.0, "{op}: {commits} commits");
    }
    let items = delta("sluice_store_batch_size_sum", &[("op", "ingest")]);
    assert!(items >= 3.0, "{items} messages committed");
    let rejected = delta(series::INBOUND_REJECTIONS, &[("reason", &reason)]);
    assert!(rejected >= 1.0, "{reason}: {rejected}");
    let unknown = delta(series::INBOUND_REJECTIONS, &[("reason", "unknown_token")]);
    assert!(unknown >= 1.0, "unknown_token: {unknown}");
}

#[tokio::test]
async fn queue_gauges_are_the_store_at_scrape_time() {
    let (app, dispatcher) = spawn_stepped_app(|c| c.retry_schedule = vec![5]).await;
    let rx = Receiver::scripted(vec![], Reply::Status(500)).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    publish(&app, &s.app_id, 1).await;
    publish(&app, &s.app_id, 2).await;
    app.clock().advance(30_000);
    let gauges = |sc: &Scrape| {
        let st = |state| value(sc, series::QUEUE_DELIVERIES, &[("state", state)]);
        (
            st("due"),
            st("scheduled"),
            st("in_flight"),
            value(sc, series::DEAD_LETTERS, &[]),
            value(sc, series::QUEUE_LAG, &[]),
        )
    };
    // Due for 30 s.
    assert_eq!(gauges(&scrape(&app).await), (2.0, 0.0, 0.0, 0.0, 30.0));
    // Tried and failed: retries scheduled, nothing due.
    let report = dispatcher.step(app.clock().now()).await.unwrap();
    assert_eq!(report.retrying, 2);
    assert_eq!(gauges(&scrape(&app).await), (0.0, 2.0, 0.0, 0.0, 0.0));
    // An hour later the retries are due (since their jittered due time).
    app.clock().advance(3_600_000);
    let (due, scheduled, _, _, lag) = gauges(&scrape(&app).await);
    assert_eq!((due, scheduled), (2.0, 0.0));
    assert!((3_590.0..=3_600.0).contains(&lag), "lag {lag}");
    // Their last try fails: two dead letters.
    let report = dispatcher.step(app.clock().now()).await.unwrap();
    assert_eq!(report.failed, 2);
    assert_eq!(gauges(&scrape(&app).await), (0.0, 0.0, 0.0, 2.0, 0.0));
}

/// The open-circuit gauge is the store's count when scraped: 0, then 1 once the endpoint's
/// failures open its circuit, then 0 again once the probe succeeds.
#[tokio::test]
async fn the_open_circuit_gauge_is_the_stores_count_at_scrape_time() {
    let (app, dispatcher) = spawn_stepped_app(|c| {
        c.retry_schedule = vec![5];
        c.circuit_failure_threshold = 1;
        c.circuit_cooldown_secs = 30;
    })
    .await;
    let rx = Receiver::scripted(vec![Reply::Status(500)], Reply::Status(200)).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    publish(&app, &s.app_id, 1).await;
    let open = |sc: &Scrape| value(sc, "sluice_circuit_open_endpoints", &[]);
    assert_eq!(open(&scrape(&app).await), 0.0);
    assert_eq!(
        dispatcher.step(app.clock().now()).await.unwrap().retrying,
        1
    );
    assert_eq!(open(&scrape(&app).await), 1.0);
    let probe_at = app.clock().advance(30_000);
    assert_eq!(dispatcher.step(probe_at).await.unwrap().delivered, 1);
    assert_eq!(open(&scrape(&app).await), 0.0);
}

#[tokio::test]
async fn app_label_values_are_capped() {
    let app = spawn_app().await;
    let cap = app.state.config.metrics_max_label_values;
    for i in 0..=cap {
        let uid = format!("cap-{}-{i}", app.addr.port());
        let body = json!({"eventType": "t", "payload": {},
                          "application": {"name": "cap", "uid": uid}});
        app.post_ok(&format!("/api/v1/app/{uid}/msg"), &body, 202)
            .await;
    }
    let sc = scrape(&app).await;
    let apps: BTreeSet<&str> = samples(&sc, series::INGESTED, &[])
        .filter_map(|x| x.labels.get("app"))
        .collect();
    assert!(
        apps.contains("other"),
        "{} apps seen, none as other",
        apps.len()
    );
    assert!(
        apps.iter().filter(|a| **a != "other").count() <= cap,
        "{} distinct app labels for a cap of {cap}",
        apps.len()
    );
}

#[tokio::test]
async fn metrics_listen_serves_metrics_apart_from_the_api() {
    let app = spawn_app_with(|c| c.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let addr = app.metrics_addr.expect("a metrics listener");
    assert_ne!(addr, app.addr);
    let sc = scrape_url(&app.client, &format!("http://{addr}/metrics")).await;
    assert!(samples(&sc, series::QUEUE_LAG, &[]).next().is_some());
    let main = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(
        main.status(),
        404,
        "the main listener does not serve /metrics"
    );
    let health = app
        .client
        .get(format!("http://{addr}/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        health.status(),
        404,
        "the metrics listener serves /metrics only"
    );
}

#[tokio::test]
async fn a_worker_serves_metrics_beside_health_and_the_switch_turns_it_off() {
    let worker = spawn_app_with(|c| c.role = Role::Worker).await;
    let sc = scrape(&worker).await;
    assert!(samples(&sc, series::DEAD_LETTERS, &[]).next().is_some());
    let api = worker.get("/api/v1/app").await;
    assert_eq!(api.status(), 404, "a worker serves no API");

    let off = spawn_app_with(|c| c.metrics_enabled = false).await;
    let resp = off.client.get(off.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
}
