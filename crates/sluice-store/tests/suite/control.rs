//! Delivery control in the store: throttle reservations, the circuit breaker, the
//! `Retry-After` pause, auto-disable and the reset on re-enable.

use sluice_core::control::{Circuit, ControlPolicy};
use sluice_core::model::DeliveryStatus;
use sluice_core::queue::{ControlChangeKind, DeliveryNext, Outcome, Recorded};
use sluice_core::retry::OutcomeClass;

use super::*;

fn policy() -> ControlPolicy {
    ControlPolicy {
        failure_threshold: 3,
        cooldown_ms: 1_000,
        max_cooldown_ms: 3_000,
        disable_after_ms: 10_000,
    }
}

/// The outcome of one try of `c` at `t` of `class`, rescheduled at `next`.
fn tried(c: &Claimed, class: OutcomeClass, t: i64, next: DeliveryNext) -> Outcome {
    let (code, status) = match class {
        OutcomeClass::Success => (200, DeliveryStatus::Success),
        OutcomeClass::Throttled => (429, DeliveryStatus::Fail),
        OutcomeClass::Gone => (410, DeliveryStatus::Fail),
        _ => (500, DeliveryStatus::Fail),
    };
    let mut a = attempt_row(c, code, status, t);
    a.error_class = Some(class.as_str().into());
    Outcome {
        delivery_id: c.delivery.id.clone(),
        lease: c.lease,
        attempt: Some(a),
        next,
        disable_endpoint: class == OutcomeClass::Gone,
        retry_after_ms: None,
    }
}

fn kinds(r: &Recorded) -> Vec<ControlChangeKind> {
    r.changes.iter().map(|c| c.kind).collect()
}

/// A throttled endpoint's claims reserve send times `1/rate` apart within the horizon and
/// take nothing more until half of it is used; an endpoint without a rate of its own uses
/// its application's; an unthrottled endpoint beside them is not held back.
pub async fn throttle_reservations_are_spaced(s: Dyn) {
    let mut app = app_row(T0);
    app.throttle_rate = Some(5);
    s.create_app(app.clone()).await.unwrap();
    let own = new_endpoint(&s, &app.id, |e| e.throttle_rate = Some(10)).await;
    let inherits = new_endpoint(&s, &app.id, |_| {}).await;
    let other_app = new_app(&s).await;
    let free = new_endpoint(&s, &other_app.id, |_| {}).await;
    for i in 0..30 {
        publish(&s, &app.id, "t", T0 + i).await;
        publish(&s, &other_app.id, "t", T0 + i).await;
    }
    let now = T0 + 100;
    let times = |claimed: &[Claimed], ep: &str| -> Vec<i64> {
        let mut t: Vec<i64> = claimed
            .iter()
            .filter(|c| c.endpoint.id == ep)
            .map(|c| c.not_before)
            .collect();
        t.sort();
        t
    };
    let got = s.claim_due(claim_req(now, 1_000, 1_000)).await.unwrap();
    // 10/s: 100 ms apart over [now, now + 1 s]; 5/s (the application's): 200 ms apart.
    assert_eq!(
        times(&got, &own.id),
        (0..11).map(|i| now + i * 100).collect::<Vec<_>>()
    );
    assert_eq!(
        times(&got, &inherits.id),
        (0..6).map(|i| now + i * 200).collect::<Vec<_>>()
    );
    assert_eq!(times(&got, &free.id), vec![now; 30], "not throttled");
    for c in got.iter().filter(|c| c.endpoint.id == own.id) {
        assert_eq!(
            c.delivery.next_attempt_at,
            Some(c.not_before + 30_000),
            "the lease runs from the send time"
        );
    }
    assert!(
        s.claim_due(claim_req(now + 1, 1_000, 1_000))
            .await
            .unwrap()
            .is_empty(),
        "no room until half the horizon is used"
    );
    // The idle dispatcher sleeps until a reservation is possible again.
    assert_eq!(
        s.next_due_at().await.unwrap(),
        Some(now + 1_100 - 500),
        "the own-rate endpoint frees first"
    );
    let later = s
        .claim_due(claim_req(now + 600, 1_000, 1_000))
        .await
        .unwrap();
    assert_eq!(
        times(&later, &own.id),
        (11..17).map(|i| now + i * 100).collect::<Vec<_>>(),
        "spacing continues"
    );
    // The per-endpoint cap still bounds a throttled endpoint.
    let capped = s.claim_due(claim_req(now + 5_000, 1_000, 2)).await.unwrap();
    assert_eq!(times(&capped, &own.id), vec![now + 5_000, now + 5_100]);
}

/// Consecutive failures open the circuit; while open nothing is claimed; at the end of the
/// cool-down exactly one probe is; a failed probe reopens with the cool-down doubled (up to
/// the cap); a successful one closes it and the backlog is claimable again.
pub async fn circuit_breaker_transitions(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    for i in 0..10 {
        publish(&s, &app.id, "t", T0 + i).await;
    }
    let p = policy();
    let t = T0 + 100;
    let first = s.claim_due(claim_req(t, 3, 10)).await.unwrap();
    assert_eq!(first.len(), 3);
    let failed = |c: &Claimed, at| tried(c, OutcomeClass::Transient, at, DeliveryNext::RetryAt(at));
    let r = s
        .record_outcomes_under(first[..2].iter().map(|c| failed(c, t)).collect(), p)
        .await
        .unwrap();
    assert!(r.changes.is_empty(), "two failures: still closed");
    let r = s
        .record_outcomes_under(vec![failed(&first[2], t + 1)], p)
        .await
        .unwrap();
    assert_eq!(
        kinds(&r),
        vec![ControlChangeKind::CircuitOpened {
            failures: 3,
            until: t + 1_001
        }]
    );
    assert_eq!(r.changes[0].endpoint_id, ep.id);
    assert_eq!(r.changes[0].app_id, app.id);
    assert_eq!(s.open_circuits().await.unwrap(), 1);
    assert_eq!(
        s.endpoint_control(&ep.id).await.unwrap().circuit,
        Circuit::Open
    );
    let many = s
        .endpoint_controls(vec![ep.id.clone(), "ep_without_state".into()])
        .await
        .unwrap();
    assert_eq!(many.len(), 1, "endpoints without state are absent");
    assert_eq!(many[&ep.id].failures, 3);
    assert!(s
        .claim_due(claim_req(t + 1_000, 10, 10))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(s.next_due_at().await.unwrap(), Some(t + 1_001));

    // The probe: exactly one, then nothing until its outcome.
    let probe = s.claim_due(claim_req(t + 1_001, 10, 10)).await.unwrap();
    assert_eq!(probe.len(), 1);
    assert_eq!(
        s.endpoint_control(&ep.id).await.unwrap().circuit,
        Circuit::HalfOpen
    );
    assert!(s
        .claim_due(claim_req(t + 1_002, 10, 10))
        .await
        .unwrap()
        .is_empty());
    let r = s
        .record_outcomes_under(vec![failed(&probe[0], t + 1_100)], p)
        .await
        .unwrap();
    assert_eq!(
        kinds(&r),
        vec![ControlChangeKind::CircuitOpened {
            failures: 4,
            until: t + 3_100
        }],
        "reopened with the cool-down doubled"
    );
    assert!(s
        .claim_due(claim_req(t + 3_099, 10, 10))
        .await
        .unwrap()
        .is_empty());
    let probe = s.claim_due(claim_req(t + 3_100, 10, 10)).await.unwrap();
    assert_eq!(probe.len(), 1);
    let r = s
        .record_outcomes_under(
            vec![tried(
                &probe[0],
                OutcomeClass::Success,
                t + 3_200,
                DeliveryNext::Succeeded,
            )],
            p,
        )
        .await
        .unwrap();
    assert_eq!(kinds(&r), vec![ControlChangeKind::CircuitClosed]);
    assert_eq!(s.open_circuits().await.unwrap(), 0);
    let rest = s.claim_due(claim_req(t + 3_300, 100, 100)).await.unwrap();
    assert_eq!(rest.len(), 9, "the backlog flows again");
}

/// A throttled answer pauses the whole endpoint for its `Retry-After` without counting
/// towards the breaker.
pub async fn retry_after_pauses_the_endpoint(s: Dyn) {
    let app = new_app(&s).await;
    let _ep = new_endpoint(&s, &app.id, |_| {}).await;
    for i in 0..5 {
        publish(&s, &app.id, "t", T0 + i).await;
    }
    let t = T0 + 100;
    let got = s.claim_due(claim_req(t, 1, 10)).await.unwrap();
    let mut o = tried(
        &got[0],
        OutcomeClass::Throttled,
        t,
        DeliveryNext::RetryAt(t + 3_000),
    );
    o.retry_after_ms = Some(3_000);
    let r = s.record_outcomes_under(vec![o], policy()).await.unwrap();
    assert!(r.changes.is_empty());
    assert!(s
        .claim_due(claim_req(t + 2_999, 10, 10))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(s.next_due_at().await.unwrap(), Some(t + 3_000));
    assert_eq!(
        s.claim_due(claim_req(t + 3_000, 10, 10))
            .await
            .unwrap()
            .len(),
        5
    );
}

/// Failing without a success for the policy's time disables the endpoint once (reported
/// with when the failures began), 410 does too; the deliveries are kept and not claimed,
/// and re-enabling resets the control state so they go out.
pub async fn auto_disable_keeps_deliveries_and_reenable_resets(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    let gone = new_endpoint(&s, &app.id, |_| {}).await;
    for i in 0..4 {
        publish(&s, &app.id, "t", T0 + i).await;
    }
    let p = ControlPolicy {
        failure_threshold: 100,
        ..policy()
    };
    let t = T0 + 100;
    let mut got = s.claim_due(claim_req(t, 100, 1)).await.unwrap();
    got.sort_by(|a, b| a.endpoint.id.cmp(&b.endpoint.id));
    let of = |id: &str| got.iter().find(|c| c.endpoint.id == id).unwrap().clone();
    let r = s
        .record_outcomes_under(
            vec![
                tried(
                    &of(&ep.id),
                    OutcomeClass::Other,
                    t,
                    DeliveryNext::RetryAt(t + 9_000),
                ),
                tried(
                    &of(&gone.id),
                    OutcomeClass::Gone,
                    t,
                    DeliveryNext::RetryAt(t + 9_000),
                ),
            ],
            p,
        )
        .await
        .unwrap();
    assert_eq!(
        kinds(&r),
        vec![ControlChangeKind::Disabled {
            fail_since: Some(t),
            gone: true
        }]
    );
    assert_eq!(r.changes[0].endpoint_id, gone.id);
    assert!(
        s.get_endpoint(&app.id, &gone.id)
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    assert_eq!(
        s.endpoint_control(&ep.id).await.unwrap().failing_since,
        Some(t)
    );

    let again = s.claim_due(claim_req(t + 10_000, 100, 1)).await.unwrap();
    assert_eq!(again.len(), 1, "only the enabled endpoint");
    let r = s
        .record_outcomes_under(
            vec![tried(
                &again[0],
                OutcomeClass::Transient,
                t + 10_000,
                DeliveryNext::RetryAt(t + 10_000),
            )],
            p,
        )
        .await
        .unwrap();
    assert_eq!(
        kinds(&r),
        vec![ControlChangeKind::Disabled {
            fail_since: Some(t),
            gone: false
        }]
    );
    let stored = s.get_endpoint(&app.id, &ep.id).await.unwrap().unwrap();
    assert!(stored.disabled);
    assert!(s
        .claim_due(claim_req(t + 20_000, 100, 100))
        .await
        .unwrap()
        .is_empty());
    let kept = s
        .list_endpoint_deliveries(&ep.id, None, page(50))
        .await
        .unwrap();
    assert_eq!(kept.items.len(), 4, "deliveries are kept");
    // A later failure of an already disabled endpoint reports nothing new.
    let mut enabled = stored.clone();
    enabled.disabled = false;
    s.update_endpoint(enabled).await.unwrap();
    assert_eq!(
        s.endpoint_control(&ep.id).await.unwrap(),
        Default::default(),
        "re-enabling resets the failing clock and the breaker"
    );
    let out = s.claim_due(claim_req(t + 20_000, 100, 100)).await.unwrap();
    assert_eq!(out.len(), 4, "its deliveries go out");
    let r = s
        .record_outcomes_under(
            out.iter()
                .map(|c| {
                    tried(
                        c,
                        OutcomeClass::Other,
                        t + 20_001,
                        DeliveryNext::RetryAt(t + 30_000),
                    )
                })
                .collect(),
            p,
        )
        .await
        .unwrap();
    assert!(
        r.changes.is_empty(),
        "not disabled again by its first failure"
    );
}

/// A redrive brings an open circuit's probe forward to now: one delivery goes at once
/// (not after the cool-down), alone; closed and half-open circuits are left as they are.
pub async fn redrive_brings_the_probe_forward(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    for i in 0..5 {
        publish(&s, &app.id, "t", T0 + i).await;
    }
    let t = T0 + 100;
    assert!(
        !s.probe_circuit_now(&ep.id, t).await.unwrap(),
        "no state: closed, nothing to move"
    );
    let first = s.claim_due(claim_req(t, 3, 10)).await.unwrap();
    assert_eq!(first.len(), 3);
    let failed = first
        .iter()
        .map(|c| tried(c, OutcomeClass::Transient, t, DeliveryNext::RetryAt(t)))
        .collect();
    s.record_outcomes_under(failed, policy()).await.unwrap();
    assert_eq!(
        s.endpoint_control(&ep.id).await.unwrap().circuit,
        Circuit::Open
    );
    assert!(s
        .claim_due(claim_req(t + 10, 10, 10))
        .await
        .unwrap()
        .is_empty());

    assert!(s.probe_circuit_now(&ep.id, t + 10).await.unwrap());
    let probe = s.claim_due(claim_req(t + 10, 10, 10)).await.unwrap();
    assert_eq!(
        probe.len(),
        1,
        "the probe goes alone, well before the cool-down ends"
    );
    assert_eq!(
        s.endpoint_control(&ep.id).await.unwrap().circuit,
        Circuit::HalfOpen
    );
    assert!(
        !s.probe_circuit_now(&ep.id, t + 11).await.unwrap(),
        "a probe in flight is left alone"
    );
    assert!(s
        .claim_due(claim_req(t + 11, 10, 10))
        .await
        .unwrap()
        .is_empty());
}
