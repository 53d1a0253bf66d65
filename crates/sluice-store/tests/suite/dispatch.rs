//! Outcomes, recover, resend and the wake-ups they cause.

use std::time::Duration;

use sluice_core::model::{DeliveryStatus, Trigger};
use sluice_core::queue::{DeliveryNext, Outcome};
use sluice_store::{AttemptFilter, StoreError};

use super::*;

fn outcome(
    c: &Claimed,
    attempt: Option<sluice_core::model::Attempt>,
    next: DeliveryNext,
) -> Outcome {
    Outcome {
        delivery_id: c.delivery.id.clone(),
        lease: c.lease,
        attempt,
        next,
        disable_endpoint: false,
        retry_after_ms: None,
    }
}

/// Success, retry, failure and disable each leave the delivery (and endpoint) in the right
/// state; a release without a try does not count as an attempt.
pub async fn record_outcomes_transitions(s: Dyn) {
    let app = new_app(&s).await;
    let mut eps = Vec::new();
    for _ in 0..4 {
        eps.push(new_endpoint(&s, &app.id, |_| {}).await);
    }
    let (msg, n) = publish(&s, &app.id, "t", T0).await;
    assert_eq!(n, 4);
    let mut claimed = s.claim_due(claim_req(T0, 10, 10)).await.unwrap();
    claimed.sort_by(|a, b| a.endpoint.id.cmp(&b.endpoint.id));
    assert_eq!(claimed.len(), 4);
    let t = T0 + 100;
    let ok = attempt_row(&claimed[0], 200, DeliveryStatus::Success, t);
    let outcomes = vec![
        outcome(&claimed[0], Some(ok), DeliveryNext::Succeeded),
        outcome(
            &claimed[1],
            Some(attempt_row(&claimed[1], 503, DeliveryStatus::Fail, t)),
            DeliveryNext::RetryAt(T0 + 5_000),
        ),
        outcome(
            &claimed[2],
            Some(attempt_row(&claimed[2], 500, DeliveryStatus::Fail, t)),
            DeliveryNext::Failed,
        ),
        Outcome {
            disable_endpoint: true,
            ..outcome(
                &claimed[3],
                Some(attempt_row(&claimed[3], 410, DeliveryStatus::Fail, t)),
                DeliveryNext::RetryAt(T0 + 1_000),
            )
        },
    ];
    s.record_outcomes(outcomes.clone()).await.unwrap();

    let state = |i: usize| {
        let s = s.clone();
        let (m, e) = (
            msg.id.clone(),
            eps.iter()
                .find(|e| e.id == claimed[i].endpoint.id)
                .unwrap()
                .id
                .clone(),
        );
        async move { delivery(&s, &m, &e).await.unwrap() }
    };
    let d0 = state(0).await;
    assert_eq!(
        (
            d0.status,
            d0.next_attempt_at,
            d0.attempts,
            d0.round_attempts
        ),
        (DeliveryStatus::Success, None, 1, 1)
    );
    assert_eq!(d0.updated_at, t);
    let d1 = state(1).await;
    assert_eq!(
        (d1.status, d1.next_attempt_at, d1.attempts),
        (DeliveryStatus::Pending, Some(T0 + 5_000), 1)
    );
    let d2 = state(2).await;
    assert_eq!(
        (d2.status, d2.next_attempt_at, d2.attempts),
        (DeliveryStatus::Fail, None, 1)
    );
    let d3 = state(3).await;
    assert_eq!(
        (d3.status, d3.next_attempt_at),
        (DeliveryStatus::Pending, Some(T0 + 1_000))
    );
    let gone = s
        .get_endpoint(&app.id, &claimed[3].endpoint.id)
        .await
        .unwrap()
        .unwrap();
    assert!(gone.disabled, "a 410 disables the endpoint");

    // Recording the same batch again (a retry after an unclear failure) changes nothing.
    s.record_outcomes(outcomes).await.unwrap();
    assert_eq!(state(1).await.attempts, 1);
    let filter = AttemptFilter {
        app_id: app.id.clone(),
        msg_id: Some(msg.id.clone()),
        ..Default::default()
    };
    assert_eq!(
        collect(|p| s.list_attempts(filter.clone(), p)).await.len(),
        4
    );

    // The disabled endpoint's earlier retry is neither due nor claimable.
    assert_eq!(s.next_due_at().await.unwrap(), Some(T0 + 5_000));
    let again = s.claim_due(claim_req(T0 + 6_000, 10, 10)).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].delivery.id, d1.id);

    // A release without a try: no attempt counted.
    s.record_outcomes(vec![outcome(
        &again[0],
        None,
        DeliveryNext::RetryAt(T0 + 7_000),
    )])
    .await
    .unwrap();
    let d1 = state(1).await;
    assert_eq!(
        (
            d1.status,
            d1.next_attempt_at,
            d1.attempts,
            d1.round_attempts
        ),
        (DeliveryStatus::Pending, Some(T0 + 7_000), 1, 1)
    );
}

/// An outcome that makes its delivery due at once wakes the dispatcher.
pub async fn immediate_retry_wakes(s: Dyn) {
    let app = new_app(&s).await;
    new_endpoint(&s, &app.id, |_| {}).await;
    publish(&s, &app.id, "t", T0).await;
    let c = s
        .claim_due(claim_req(T0, 1, 1))
        .await
        .unwrap()
        .pop()
        .unwrap();
    signalled(&s, Duration::ZERO).await;
    let a = attempt_row(&c, 0, DeliveryStatus::Fail, T0 + 10);
    s.record_outcomes(vec![outcome(&c, Some(a), DeliveryNext::RetryAt(T0 + 10))])
        .await
        .unwrap();
    assert!(signalled(&s, PATIENCE).await);
}

/// Recover re-queues the endpoint's failed deliveries in the time range with a fresh round;
/// resend queues a manual try whatever the delivery's state.
pub async fn recover_and_resend(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    let (m1, _) = publish(&s, &app.id, "t", T0).await;
    let (m2, _) = publish(&s, &app.id, "t", T0 + 100).await;
    let claimed = s.claim_due(claim_req(T0 + 100, 10, 10)).await.unwrap();
    let outcomes = claimed
        .iter()
        .map(|c| {
            outcome(
                c,
                Some(attempt_row(c, 500, DeliveryStatus::Fail, T0 + 200)),
                DeliveryNext::Failed,
            )
        })
        .collect();
    s.record_outcomes(outcomes).await.unwrap();

    assert_eq!(
        s.recover_endpoint(&ep.id, T0 + 101, T0 + 500, T0 + 1_000)
            .await
            .unwrap(),
        0
    );
    signalled(&s, Duration::ZERO).await;
    assert_eq!(
        s.recover_endpoint(&ep.id, T0 + 50, T0 + 101, T0 + 1_000)
            .await
            .unwrap(),
        1
    );
    assert!(
        signalled(&s, PATIENCE).await,
        "recover did not wake the dispatcher"
    );
    let d2 = delivery(&s, &m2.id, &ep.id).await.unwrap();
    assert_eq!(
        (
            d2.status,
            d2.next_attempt_at,
            d2.round_attempts,
            d2.attempts
        ),
        (DeliveryStatus::Pending, Some(T0 + 1_000), 0, 1)
    );
    // Recover is one manual try per delivery, as in Svix.
    assert_eq!(d2.trigger, Trigger::Manual);
    assert_eq!(
        delivery(&s, &m1.id, &ep.id).await.unwrap().status,
        DeliveryStatus::Fail
    );

    // Resend of a finished delivery: a manual round.
    s.resend(&m1.id, &ep.id, T0 + 2_000).await.unwrap();
    let d1 = delivery(&s, &m1.id, &ep.id).await.unwrap();
    assert_eq!(
        (d1.status, d1.next_attempt_at, d1.round_attempts, d1.trigger),
        (
            DeliveryStatus::Pending,
            Some(T0 + 2_000),
            0,
            Trigger::Manual
        )
    );
    // Resend of a pending one: due now, round and trigger (Manual, from the recover) kept.
    s.resend(&m2.id, &ep.id, T0 + 500).await.unwrap();
    let d2 = delivery(&s, &m2.id, &ep.id).await.unwrap();
    assert_eq!(
        (d2.status, d2.next_attempt_at, d2.round_attempts, d2.trigger),
        (DeliveryStatus::Pending, Some(T0 + 500), 0, Trigger::Manual)
    );
    // Resend of an in-flight one leaves it alone.
    let inflight = s.claim_due(claim_req(T0 + 600, 10, 10)).await.unwrap();
    assert_eq!(inflight.len(), 1);
    s.resend(&m2.id, &ep.id, T0 + 700).await.unwrap();
    let d2 = delivery(&s, &m2.id, &ep.id).await.unwrap();
    assert_eq!(
        (d2.status, d2.next_attempt_at),
        (
            DeliveryStatus::Sending,
            inflight[0].delivery.next_attempt_at
        )
    );

    // Resend to an endpoint that never had a delivery creates one.
    let late = new_endpoint(&s, &app.id, |_| {}).await;
    signalled(&s, Duration::ZERO).await;
    s.resend(&m1.id, &late.id, T0 + 800).await.unwrap();
    assert!(
        signalled(&s, PATIENCE).await,
        "resend did not wake the dispatcher"
    );
    let d = delivery(&s, &m1.id, &late.id).await.unwrap();
    assert_eq!(
        (d.status, d.next_attempt_at, d.trigger, d.attempts),
        (DeliveryStatus::Pending, Some(T0 + 800), Trigger::Manual, 0)
    );

    // Wrong app or missing rows: NotFound.
    let app2 = new_app(&s).await;
    let foreign = new_endpoint(&s, &app2.id, |_| {}).await;
    assert!(matches!(
        s.resend(&m1.id, &foreign.id, T0).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.resend("msg_missing", &ep.id, T0).await,
        Err(StoreError::NotFound)
    ));
    assert!(delivery(&s, &m1.id, &foreign.id).await.is_none());
}

/// Re-enabling an endpoint wakes the dispatcher: its waiting deliveries became sendable.
pub async fn reenabling_endpoint_wakes(s: Dyn) {
    let app = new_app(&s).await;
    let mut ep = new_endpoint(&s, &app.id, |e| e.disabled = true).await;
    let m = message_row(&app.id, "t", T0);
    s.create_message(m, Some(ep.id.clone()), T0).await.unwrap();
    assert!(s.claim_due(claim_req(T0, 10, 10)).await.unwrap().is_empty());
    assert_eq!(s.next_due_at().await.unwrap(), None);
    signalled(&s, Duration::ZERO).await;
    ep.description = "still off".into();
    s.update_endpoint(ep.clone()).await.unwrap();
    assert!(
        !signalled(&s, Duration::from_millis(100)).await,
        "woken by an update that enabled nothing"
    );
    ep.disabled = false;
    s.update_endpoint(ep).await.unwrap();
    assert!(signalled(&s, PATIENCE).await, "not woken by re-enabling");
    assert_eq!(s.next_due_at().await.unwrap(), Some(T0));
    assert_eq!(s.claim_due(claim_req(T0, 10, 10)).await.unwrap().len(), 1);
}
