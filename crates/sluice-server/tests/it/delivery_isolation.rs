//! A slow endpoint never delays the others, and per-endpoint concurrency is bounded.

use serde_json::json;
use sluice_core::model::DeliveryStatus;

use crate::delivery_common::*;
use crate::helpers::{spawn_app_with, Receiver, Reply};

#[tokio::test]
async fn a_hanging_endpoint_does_not_delay_a_fast_one() {
    // Few global slots, so a dispatcher that let the hanging endpoint take them all would
    // stall everything until the (long) request timeout.
    let app = spawn_app_with(|c| {
        c.endpoint_concurrency = 2;
        c.max_in_flight = 4;
        c.request_timeout = 120;
    })
    .await;
    let slow = Receiver::scripted(vec![], Reply::Hang).await;
    let fast = Receiver::ok().await;
    // The slow endpoint is created first: its deliveries are the oldest due work.
    let s = app_with_endpoint(&app, &slow.url, json!({})).await;
    let fast_ep = add_endpoint(&app, &s.app_id, &fast.url, json!({})).await;

    let mut msgs = Vec::new();
    for n in 0..20 {
        msgs.push(publish(&app, &s.app_id, n).await);
    }
    for msg_id in &msgs {
        wait_status(&app, msg_id, &fast_ep, DeliveryStatus::Success).await;
    }
    assert_eq!(fast.count(), 20);
    // All of that happened while the slow endpoint's first requests were still hanging: no
    // try to it has finished, and at most `endpoint_concurrency` were ever sent.
    for msg_id in &msgs {
        let slow_attempts = attempts(&app, &s.app_id, msg_id).await;
        assert!(
            slow_attempts.iter().all(|a| a.endpoint_id == fast_ep),
            "a slow try finished first"
        );
    }
    assert!(
        slow.count() <= 2,
        "{} concurrent requests to one endpoint (cap 2)",
        slow.count()
    );
}

#[tokio::test]
async fn per_endpoint_concurrency_is_capped_and_all_get_through() {
    let app = spawn_app_with(|c| c.endpoint_concurrency = 3).await;
    let held = Gated::start().await;
    let s = app_with_endpoint(&app, &held.url, json!({})).await;
    // Three requests in flight, held: the endpoint is at its cap.
    let mut msgs = Vec::new();
    for n in 0..3 {
        msgs.push(publish(&app, &s.app_id, n).await);
    }
    for _ in 0..3 {
        held.next().await;
    }
    // More work queues up behind the cap.
    for n in 3..10 {
        msgs.push(publish(&app, &s.app_id, n).await);
    }
    // One reply frees one slot. The next claim takes up to 3 deliveries of the endpoint,
    // more than the one free slot: only one of them may be sent.
    held.open(1);
    held.next().await;
    // Newer work for another endpoint is claimed and delivered meanwhile.
    let fast = Receiver::ok().await;
    let other = app_with_endpoint(&app, &fast.url, json!({})).await;
    let msg_id = publish(&app, &other.app_id, 0).await;
    wait_status(&app, &msg_id, &other.ep_id, DeliveryStatus::Success).await;
    assert_eq!(
        held.arrived(),
        4,
        "more than endpoint_concurrency requests were sent"
    );

    held.open(100);
    for m in &msgs {
        wait_status(&app, m, &s.ep_id, DeliveryStatus::Success).await;
    }
    assert_eq!(held.arrived(), 10);
    assert_eq!(held.max_open(), 3);
}
