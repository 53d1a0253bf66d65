//! The dispatcher's operational events, end to end: real receivers answer a customer's
//! deliveries with 401, 5xx, 410 and finally 2xx; the dispatcher (stepped through time)
//! raises `message.attempt.*`, `endpoint.circuit.*` and `endpoint.disabled`; each becomes
//! an operational message of the org, is delivered by the same dispatcher to the operator's
//! operational endpoint, and verifies there with `standardwebhooks`.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use sluice_core::clock::Clock;
use sluice_core::model::DeliveryStatus;
use sluice_server::auth::DEFAULT_ORG;

use crate::delivery_common::{add_endpoint, delivery, publish, WAIT};
use crate::helpers::{eventually, spawn_stepped_app, Receiver, Reply};
use crate::opwebhooks_common::{next_event, op_endpoint, stored_events};

#[tokio::test]
async fn the_dispatchers_events_arrive_as_signed_operational_webhooks() {
    let (app, dispatcher) = spawn_stepped_app(|c| {
        c.retry_schedule = vec![1, 1, 1, 1, 1];
        c.circuit_failure_threshold = 4;
        c.circuit_cooldown_secs = 30;
    })
    .await;
    let op = op_endpoint(&app, &app.token, json!({})).await;
    // Recovers: 401 (auth), three 5xx (the 4th failure: failing, and the circuit opens),
    // then the probe succeeds (recovered, circuit closed).
    let recovering = Receiver::scripted(
        vec![
            Reply::Status(401),
            Reply::Status(500),
            Reply::Status(500),
            Reply::Status(500),
        ],
        Reply::Status(200),
    )
    .await;
    // Never answers well: failing, circuit opened, then exhausted after its 6th try.
    let dead = Receiver::scripted(vec![], Reply::Status(503)).await;
    // Gone: disabled at its first answer.
    let gone = Receiver::scripted(vec![], Reply::Status(410)).await;
    let app_id = app.create_app_id("ops-e2e").await;
    let e1 = add_endpoint(&app, &app_id, &recovering.url, json!({})).await;
    let e2 = add_endpoint(&app, &app_id, &dead.url, json!({})).await;
    let e3 = add_endpoint(&app, &app_id, &gone.url, json!({})).await;
    let msg = publish(&app, &app_id, 0).await;

    // Step to whatever may be claimed next (a retry or a circuit's probe) until the
    // customer's three deliveries are settled: delivered, dead-lettered, held (disabled).
    let mut steps = 0;
    loop {
        let d1 = delivery(&app, &msg, &e1).await.status;
        let d2 = delivery(&app, &msg, &e2).await.status;
        if d1 == DeliveryStatus::Success && d2 == DeliveryStatus::Fail {
            break;
        }
        steps += 1;
        assert!(steps < 50, "the deliveries did not settle: {d1:?} {d2:?}");
        let next = app
            .state
            .store
            .next_due_at()
            .await
            .unwrap()
            .expect("work is due");
        let at = next.max(app.clock().now());
        app.clock().set(at);
        dispatcher.step(at).await.unwrap();
    }
    assert_eq!(
        (recovering.count(), dead.count(), gone.count()),
        (5, 6, 1),
        "e1: four failures and the probe; e2: its whole round (two of it probes); e3: once"
    );

    // The events, as stored for the org (their publication is queued, so wait for it).
    let expected: BTreeMap<(String, String), usize> = [
        ("endpoint.created", &e1),
        ("endpoint.created", &e2),
        ("endpoint.created", &e3),
        ("message.attempt.auth_failed", &e1),
        ("message.attempt.failing", &e1),
        ("endpoint.circuit.opened", &e1),
        ("message.attempt.recovered", &e1),
        ("endpoint.circuit.closed", &e1),
        ("message.attempt.failing", &e2),
        ("endpoint.circuit.opened", &e2),
        // Each failed probe reopens it, with the cool-down doubled.
        ("endpoint.circuit.opened", &e2),
        ("endpoint.circuit.opened", &e2),
        ("message.attempt.exhausted", &e2),
        ("endpoint.disabled", &e3),
    ]
    .into_iter()
    .fold(BTreeMap::new(), |mut m, (t, ep)| {
        *m.entry((t.to_string(), ep.clone())).or_default() += 1;
        m
    });
    let total: usize = expected.values().sum();
    let mut want_types: Vec<String> = expected
        .iter()
        .flat_map(|((t, _), n)| std::iter::repeat_n(t.clone(), *n))
        .collect();
    want_types.sort();
    // Their publication is queued after each commit: wait until the org's operational
    // messages are exactly these types.
    eventually(WAIT, "every operational event stored", || async {
        let mut stored = stored_events(&app, DEFAULT_ORG).await;
        stored.sort();
        assert!(
            stored.len() <= total,
            "more events than expected: {stored:?}"
        );
        (stored == want_types).then_some(())
    })
    .await;

    // The same dispatcher delivers them to the operational endpoint, signed.
    // (Some went out during the steps above; a step takes at most the endpoint's cap.)
    for _ in 0..total {
        if op.rx.count() >= total {
            break;
        }
        dispatcher.step(app.clock().now()).await.unwrap();
    }
    let mut got = BTreeMap::new();
    for _ in 0..total {
        let (body, _) = next_event(&op.rx, &op.secret).await;
        let data = &body["data"];
        assert_eq!(data["appId"], json!(app_id), "{body}");
        let key = (
            body["type"].as_str().unwrap().to_string(),
            data["endpointId"].as_str().unwrap().to_string(),
        );
        match key.0.as_str() {
            t if t.starts_with("message.attempt.") => {
                assert_eq!(data["msgId"], json!(msg), "{body}");
                assert!(data["lastAttempt"]["id"].is_string(), "{body}");
                let code = &data["lastAttempt"]["responseStatusCode"];
                let want: Value = match t {
                    "message.attempt.auth_failed" => json!(401),
                    "message.attempt.recovered" => json!(200),
                    "message.attempt.failing" if key.1 == e1 => json!(500),
                    _ => json!(503),
                };
                assert_eq!(code, &want, "{body}");
            }
            "endpoint.disabled" => {
                assert_eq!(data["trigger"], json!("automatic"), "{body}");
            }
            "endpoint.circuit.opened" => {
                // Opened at the 4th failure; a failed probe reopens it, one failure more.
                assert!(data["failures"].as_u64().unwrap() >= 4, "{body}");
                assert!(data["until"].is_string(), "{body}");
            }
            _ => {}
        }
        *got.entry(key).or_default() += 1;
    }
    assert_eq!(got, expected, "{got:#?}");
    assert_eq!(op.rx.count(), total, "nothing more arrived");
}
