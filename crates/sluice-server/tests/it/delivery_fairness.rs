//! One tenant cannot stall another: an application whose endpoints never answer holds at
//! most its share of the process's in-flight slots, so another application's deliveries are
//! claimed and sent as fast as when the process was quiet (issue 6, item 2: the probe's
//! 33 hanging endpoints that filled all 1,024 slots, scaled down).

use std::time::{Duration, Instant};

use serde_json::json;
use sluice_core::model::DeliveryStatus;

use crate::delivery_common::*;
use crate::helpers::{eventually, spawn_app_with, Receiver, TestApp};

/// Global slots in this test; the default share of one application is a quarter of them.
const MAX_IN_FLIGHT: usize = 16;
const ENDPOINT_CONCURRENCY: usize = 2;
/// More hanging endpoints than `MAX_IN_FLIGHT / ENDPOINT_CONCURRENCY`: without a share per
/// application they can hold every slot.
const TARPIT_ENDPOINTS: usize = 9;
/// Healthy deliveries timed in each phase (p99 = the 99th of 100).
const SAMPLES: usize = 100;

#[tokio::test]
async fn a_tarpit_tenant_does_not_stall_a_healthy_one() {
    let app = spawn_app_with(|c| {
        c.endpoint_concurrency = ENDPOINT_CONCURRENCY;
        c.max_in_flight = MAX_IN_FLIGHT;
        // The tarpit's requests stay open for the whole test.
        c.request_timeout = 600;
    })
    .await;
    let fast = Receiver::ok().await;
    let healthy = app_with_endpoint(&app, &fast.url, json!({})).await;
    let (mut quiet, _) = latencies(&app, &healthy.app_id, &fast).await;
    let quiet = p99(&mut quiet);

    // The tarpit tenant: receivers that accept and never answer, and a backlog of due work
    // (20 messages × 9 endpoints) far beyond what it may hold.
    let tarpit = Gated::start().await;
    let bad = app.create_app("tarpit").await["id"]
        .as_str()
        .expect("app id")
        .to_owned();
    for i in 0..TARPIT_ENDPOINTS {
        add_endpoint(&app, &bad, &format!("{}?ep={i}", tarpit.url), json!({})).await;
    }
    let mut tarpit_msgs = Vec::new();
    for n in 0..20 {
        tarpit_msgs.push(publish(&app, &bad, n).await);
    }
    let share = MAX_IN_FLIGHT / 4;
    eventually(WAIT, "the tarpit holds its share", || async {
        (tarpit.arrived() >= share).then_some(())
    })
    .await;

    let (mut under, healthy_msgs) = latencies(&app, &healthy.app_id, &fast).await;
    let under = p99(&mut under);

    // Structural: every healthy delivery was made while every tarpit request was still
    // open, and the tarpit never held more than its share.
    assert_eq!(fast.count(), 2 * SAMPLES);
    for m in &healthy_msgs {
        wait_status(&app, m, &healthy.ep_id, DeliveryStatus::Success).await;
    }
    assert_eq!(
        tarpit.max_open(),
        tarpit.arrived(),
        "a tarpit request was answered"
    );
    assert!(
        tarpit.arrived() <= share,
        "the tarpit tenant holds {} of {MAX_IN_FLIGHT} slots (share {share})",
        tarpit.arrived()
    );
    for m in &tarpit_msgs {
        assert!(
            attempts(&app, &bad, m).await.is_empty(),
            "a tarpit try ended"
        );
    }
    // Latency: within a generous factor of the quiet figure measured in this run (with a
    // floor, so a sub-millisecond quiet figure does not turn scheduler noise into a failure).
    eprintln!("healthy p99: quiet {quiet:?}, under the tarpit {under:?}");
    let floor = Duration::from_millis(10);
    assert!(
        under <= 10 * quiet.max(floor),
        "healthy p99 {under:?} under the tarpit vs {quiet:?} quiet"
    );
}

/// Publishes `SAMPLES` messages one after another to an application whose only endpoint is
/// `receiver`, and times each from the publish call to the request's arrival. Returns the
/// times and the message ids.
async fn latencies(
    app: &TestApp,
    app_id: &str,
    receiver: &Receiver,
) -> (Vec<Duration>, Vec<String>) {
    let (mut out, mut msgs) = (Vec::with_capacity(SAMPLES), Vec::with_capacity(SAMPLES));
    for n in 0..SAMPLES {
        let started = Instant::now();
        let msg_id = publish(app, app_id, n).await;
        let got = tokio::time::timeout(WAIT, receiver.next(2 * WAIT)).await;
        assert!(
            got.is_ok(),
            "healthy delivery {n} ({msg_id}) was not sent within {WAIT:?}"
        );
        out.push(started.elapsed());
        msgs.push(msg_id);
    }
    (out, msgs)
}

fn p99(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[(samples.len() * 99).div_ceil(100) - 1]
}
