//! The rules of [`super`], one scenario each.
use super::*;

const NOW: Millis = 1_000_000;

fn policy() -> ControlPolicy {
    ControlPolicy {
        failure_threshold: 3,
        cooldown_ms: 1_000,
        max_cooldown_ms: 3_000,
        disable_after_ms: 10_000,
    }
}

#[test]
fn unthrottled_and_closed_takes_anything() {
    let c = EndpointControl::default();
    assert_eq!(
        c.admit(None, NOW),
        Admission::Open {
            max: usize::MAX,
            probe: false
        }
    );
}

#[test]
fn throttle_spaces_reservations_within_the_horizon() {
    let mut c = EndpointControl::default();
    // 50/s: 20 ms apart, 51 fit in [now, now + 1 s].
    assert_eq!(
        c.admit(Some(50), NOW),
        Admission::Open {
            max: 51,
            probe: false
        }
    );
    let times = c.reserve(3, Some(50), false, NOW, 30_000);
    assert_eq!(times, vec![NOW, NOW + 20, NOW + 40]);
    assert_eq!(c.next_send_at, NOW + 60);
    let rest = c.reserve(48, Some(50), false, NOW, 30_000);
    assert_eq!(rest.last(), Some(&(NOW + 1_000)));
    assert_eq!(
        c.admit(Some(50), NOW),
        Admission::Held {
            by: Hold::Rate,
            until: NOW + 520
        },
        "claimable again once half the horizon is used"
    );
    assert_eq!(c.available_from(Some(50)), NOW + 520);
    assert_eq!(c.available_from(None), 0);
    // Time passes: room again, continuing the spacing.
    assert_eq!(
        c.reserve(1, Some(50), false, NOW + 100, 30_000),
        vec![NOW + 1_020]
    );
    assert_eq!(interval_ms(3), 334);
    assert_eq!(interval_ms(5_000), 1);
}

#[test]
fn breaker_opens_probes_and_closes() {
    let p = policy();
    let mut c = EndpointControl::default();
    for i in 0..2 {
        assert_eq!(
            c.observe(OutcomeClass::Transient, NOW + i, None, &p),
            Transitions::default()
        );
    }
    let t = c.observe(OutcomeClass::Transient, NOW + 2, None, &p);
    assert_eq!(t.opened, Some((3, NOW + 1_002)));
    assert_eq!(
        c.admit(None, NOW + 1_001),
        Admission::Held {
            by: Hold::Circuit,
            until: NOW + 1_002
        }
    );
    assert_eq!(
        c.admit(None, NOW + 1_002),
        Admission::Open {
            max: 1,
            probe: true
        }
    );
    c.reserve(1, None, true, NOW + 1_002, 500);
    assert_eq!(c.circuit, Circuit::HalfOpen);
    assert!(matches!(
        c.admit(None, NOW + 1_100),
        Admission::Held {
            by: Hold::Circuit,
            ..
        }
    ));
    // The probe fails: reopened with the cool-down doubled, then capped.
    let t = c.observe(OutcomeClass::Transient, NOW + 1_100, None, &p);
    assert_eq!(t.opened, Some((4, NOW + 3_100)));
    c.reserve(1, None, true, NOW + 3_100, 500);
    let t = c.observe(OutcomeClass::Transient, NOW + 3_200, None, &p);
    assert_eq!(t.opened, Some((5, NOW + 6_200)), "capped at 3 s");
    c.reserve(1, None, true, NOW + 6_200, 500);
    let t = c.observe(OutcomeClass::Success, NOW + 6_300, None, &p);
    assert!(t.closed);
    assert_eq!(c, EndpointControl::default());
}

#[test]
fn throttled_answers_pause_and_do_not_count() {
    let p = policy();
    let mut c = EndpointControl::default();
    for _ in 0..5 {
        c.observe(OutcomeClass::Throttled, NOW, Some(2_000), &p);
    }
    assert_eq!(c.circuit, Circuit::Closed);
    assert_eq!(
        c.admit(None, NOW + 1),
        Admission::Held {
            by: Hold::RetryAfter,
            until: NOW + 2_000
        }
    );
    c.observe(OutcomeClass::Throttled, NOW + 10, None, &p);
    assert_eq!(c.paused_until, NOW + 10 + DEFAULT_THROTTLE_PAUSE_MS);
}

#[test]
fn failing_for_the_policy_time_disables() {
    let p = policy();
    let mut c = EndpointControl::default();
    assert_eq!(
        c.observe(OutcomeClass::Other, NOW, None, &p).disable_since,
        None
    );
    assert_eq!(c.failing_since, Some(NOW));
    let t = c.observe(OutcomeClass::Other, NOW + 9_999, None, &p);
    assert_eq!(t.disable_since, None);
    let t = c.observe(OutcomeClass::Auth, NOW + 10_000, None, &p);
    assert_eq!(t.disable_since, Some(NOW));
    c.observe(OutcomeClass::Success, NOW + 10_001, None, &p);
    assert_eq!(c.failing_since, None);
}

#[test]
fn circuit_numbers_round_trip() {
    for c in [Circuit::Closed, Circuit::Open, Circuit::HalfOpen] {
        assert_eq!(Circuit::from_i64(c.as_i64()), c);
    }
}

#[test]
fn a_batch_folds_in_time_order_and_reports_its_end_state() {
    let p = policy();
    let batch = EndpointTries {
        // Out of order: the success came last.
        tries: vec![
            (NOW + 5, OutcomeClass::Success, None),
            (NOW, OutcomeClass::Transient, None),
            (NOW + 1, OutcomeClass::Transient, None),
            (NOW + 2, OutcomeClass::Transient, None),
        ],
        gone_at: None,
    };
    let f = batch.fold(EndpointControl::default(), &p);
    assert_eq!(f.opened, None, "opened, then closed within the batch");
    assert!(!f.closed, "closed as it was: nothing to report");
    assert_eq!(f.state, EndpointControl::default());
    let gone = EndpointTries {
        tries: vec![(NOW, OutcomeClass::Gone, None)],
        gone_at: Some(NOW),
    };
    assert_eq!(
        gone.fold(EndpointControl::default(), &p).disable,
        Some((NOW, Some(NOW), true))
    );
}
