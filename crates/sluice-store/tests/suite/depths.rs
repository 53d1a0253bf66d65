//! Queue depths (for metrics) and an endpoint's attempt counts (for `attempt-stats`).

use sluice_core::model::DeliveryStatus;
use sluice_core::queue::{Claimed, DeliveryNext, Outcome};
use sluice_store::QueueDepths;

use super::*;

fn outcome(c: &Claimed, attempt: Option<(DeliveryStatus, i64)>, next: DeliveryNext) -> Outcome {
    Outcome {
        delivery_id: c.delivery.id.clone(),
        lease: c.lease,
        attempt: attempt.map(|(st, t)| attempt_row(c, 500, st, t)),
        next,
        disable_endpoint: false,
        retry_after_ms: None,
    }
}

/// Every state is counted where it belongs: due (enabled endpoints only), held (a
/// disabled endpoint's due work), scheduled, in flight, dead letters; and the oldest due
/// time is that of an endpoint that can be sent to.
pub async fn queue_depths_count_each_state(s: Dyn) {
    assert_eq!(
        s.queue_depths(T0).await.unwrap(),
        QueueDepths::default(),
        "an empty queue"
    );
    let app = new_app(&s).await;
    new_endpoint(&s, &app.id, |_| {}).await; // A
    let b = new_endpoint(&s, &app.id, |_| {}).await;
    let d = new_endpoint(&s, &app.id, |_| {}).await;
    for i in 0..3 {
        publish(&s, &app.id, "t", T0 + i * 10).await;
    }
    // A's oldest two are tried: one dead-lettered, one retried later; its third is in flight.
    let only_a = |limit| {
        let mut req = claim_req(T0 + 100, limit, 5);
        req.exclude_endpoints = vec![b.id.clone(), d.id.clone()];
        req
    };
    let tried = s.claim_due(only_a(2)).await.unwrap();
    assert_eq!(tried.len(), 2);
    s.record_outcomes(vec![
        outcome(
            &tried[0],
            Some((DeliveryStatus::Fail, T0 + 100)),
            DeliveryNext::Failed,
        ),
        outcome(
            &tried[1],
            Some((DeliveryStatus::Fail, T0 + 100)),
            DeliveryNext::RetryAt(T0 + 1000),
        ),
    ])
    .await
    .unwrap();
    assert_eq!(s.claim_due(only_a(1)).await.unwrap().len(), 1);
    // B is disabled with its three deliveries due: they are held, not due.
    let mut b_off = b.clone();
    b_off.disabled = true;
    s.update_endpoint(b_off).await.unwrap();

    let at = s.queue_depths(T0 + 100).await.unwrap();
    assert_eq!(
        at,
        QueueDepths {
            due: 3,
            held: 3,
            scheduled: 1,
            in_flight: 1,
            dead_letters: 1,
            oldest_due_at: Some(T0),
        }
    );
    // Once the retry time passes, the retry is due too.
    let later = s.queue_depths(T0 + 1000).await.unwrap();
    assert_eq!((later.due, later.scheduled), (4, 0), "{later:?}");
    assert_eq!((later.in_flight, later.dead_letters), (1, 1));
    // Before anything was due, nothing is: everything unfinished waits for later.
    let before = s.queue_depths(T0 - 1).await.unwrap();
    assert_eq!(
        before,
        QueueDepths {
            due: 0,
            held: 0,
            scheduled: 7,
            in_flight: 1,
            dead_letters: 1,
            oldest_due_at: None,
        }
    );
    // With only the disabled endpoint's work due, there is no lag to report.
    let mut d_off = d.clone();
    d_off.disabled = true;
    s.update_endpoint(d_off).await.unwrap();
    let held = s.queue_depths(T0 + 100).await.unwrap();
    assert_eq!((held.due, held.held, held.oldest_due_at), (0, 6, None));
}

/// Attempts are counted by status over the window in which they were made, for one
/// endpoint only.
pub async fn endpoint_attempt_stats_by_window(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    let other = new_endpoint(&s, &app.id, |_| {}).await;
    for i in 0..3 {
        publish(&s, &app.id, "t", T0 + i).await;
    }
    let claimed = s.claim_due(claim_req(T0 + 10, 10, 5)).await.unwrap();
    assert_eq!(claimed.len(), 6);
    let (mine, theirs): (Vec<_>, Vec<_>) = claimed
        .iter()
        .partition(|c| c.delivery.endpoint_id == ep.id);
    s.record_outcomes(vec![
        outcome(
            mine[0],
            Some((DeliveryStatus::Success, T0 + 100)),
            DeliveryNext::Succeeded,
        ),
        outcome(
            mine[1],
            Some((DeliveryStatus::Fail, T0 + 200)),
            DeliveryNext::RetryAt(T0 + 500),
        ),
        outcome(
            mine[2],
            Some((DeliveryStatus::Fail, T0 + 300)),
            DeliveryNext::Failed,
        ),
        outcome(
            theirs[0],
            Some((DeliveryStatus::Fail, T0 + 100)),
            DeliveryNext::Failed,
        ),
    ])
    .await
    .unwrap();
    let stats = |since, until| {
        let s = s.clone();
        let ep = ep.id.clone();
        async move {
            let counts = s.endpoint_attempt_stats(&ep, since, until).await.unwrap();
            let get = |st: DeliveryStatus| {
                counts
                    .iter()
                    .find(|(s, _)| *s == st)
                    .map(|(_, n)| *n)
                    .expect("every status listed")
            };
            (get(DeliveryStatus::Success), get(DeliveryStatus::Fail))
        }
    };
    assert_eq!(stats(T0, T0 + 1000).await, (1, 2));
    assert_eq!(stats(T0, T0 + 300).await, (1, 1), "until is exclusive");
    assert_eq!(
        stats(T0 + 200, T0 + 1000).await,
        (0, 2),
        "since is inclusive"
    );
    assert_eq!(stats(T0 + 400, T0 + 1000).await, (0, 0));
    let theirs = s
        .endpoint_attempt_stats(&other.id, T0, T0 + 1000)
        .await
        .unwrap();
    assert!(theirs.contains(&(DeliveryStatus::Fail, 1)), "{theirs:?}");
}
