//! What one try means for its delivery: a pure function of the try's result, the delivery
//! (its trigger and the tries made in its round), the retry schedule, `now` and a jitter
//! sample. No I/O and no clock: the caller passes both time and randomness in.

use sluice_core::model::{Delivery, Trigger};
use sluice_core::queue::{Decision, DeliveryNext, Tried};
use sluice_core::retry::{self, Next, OutcomeClass, RetrySchedule};
use sluice_core::Millis;

/// Decides the next step of `delivery` after `tried`, made at `now`; `jitter` is uniform in
/// `[-1, 1]`.
pub fn decide(
    tried: &Tried,
    delivery: &Delivery,
    schedule: &RetrySchedule,
    now: Millis,
    jitter: f64,
) -> Decision {
    // The tries of this round, this one included.
    let round_done = delivery.round_attempts + 1;
    let after_failure = || match delivery.trigger {
        // A resend or recover is one try (as in Svix); a failure ends it.
        Trigger::Manual => DeliveryNext::Failed,
        Trigger::Scheduled => {
            match retry::next_step(schedule, round_done, now, jitter, tried.retry_after_ms) {
                Next::RetryAt(at) => DeliveryNext::RetryAt(at),
                Next::Exhausted => DeliveryNext::Failed,
            }
        }
    };
    match tried.class {
        OutcomeClass::Success => Decision {
            next: DeliveryNext::Succeeded,
            disable_endpoint: false,
        },
        // The delivery keeps its schedule; it waits while the endpoint is disabled.
        OutcomeClass::Gone => Decision {
            next: after_failure(),
            disable_endpoint: true,
        },
        // Retrying cannot succeed until an operator fixes the cause (allowed_networks, the
        // receiver's certificate) and recovers the dead letters.
        OutcomeClass::Blocked | OutcomeClass::Tls => Decision {
            next: DeliveryNext::Failed,
            disable_endpoint: false,
        },
        OutcomeClass::Transient
        | OutcomeClass::Throttled
        | OutcomeClass::Auth
        | OutcomeClass::Other => Decision {
            next: after_failure(),
            disable_endpoint: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::model::DeliveryStatus;

    const NOW: Millis = 1_000_000;

    fn schedule() -> RetrySchedule {
        RetrySchedule::from_millis(&[100, 1_000])
    }

    fn tried(class: OutcomeClass, retry_after_ms: Option<Millis>) -> Tried {
        Tried {
            retry_after_ms,
            ..Tried::without_response(class, String::new())
        }
    }

    /// A delivery of `trigger` whose round has had `done - 1` tries before this one.
    fn delivery(trigger: Trigger, done: u32) -> Delivery {
        Delivery {
            id: "msgep_1".into(),
            msg_id: "msg_1".into(),
            endpoint_id: "ep_1".into(),
            app_id: "app_1".into(),
            status: DeliveryStatus::Sending,
            attempts: done - 1,
            round_attempts: done - 1,
            next_attempt_at: Some(NOW),
            trigger,
            updated_at: NOW,
        }
    }

    fn try_with(
        class: OutcomeClass,
        trigger: Trigger,
        done: u32,
        jitter: f64,
        retry_after_ms: Option<Millis>,
    ) -> Decision {
        decide(
            &tried(class, retry_after_ms),
            &delivery(trigger, done),
            &schedule(),
            NOW,
            jitter,
        )
    }

    fn scheduled(class: OutcomeClass, done: u32) -> Decision {
        try_with(class, Trigger::Scheduled, done, 0.0, None)
    }

    #[test]
    fn success_is_final_for_any_trigger() {
        for trigger in [Trigger::Scheduled, Trigger::Manual] {
            let d = try_with(OutcomeClass::Success, trigger, 3, 1.0, Some(5));
            assert_eq!(
                d,
                Decision {
                    next: DeliveryNext::Succeeded,
                    disable_endpoint: false
                }
            );
        }
    }

    #[test]
    fn failures_follow_the_schedule_then_exhaust() {
        use OutcomeClass::*;
        for class in [Transient, Throttled, Auth, Other] {
            assert_eq!(
                scheduled(class, 1).next,
                DeliveryNext::RetryAt(NOW + 100),
                "{class:?}"
            );
            assert_eq!(
                scheduled(class, 2).next,
                DeliveryNext::RetryAt(NOW + 1_000),
                "{class:?}"
            );
            assert_eq!(scheduled(class, 3).next, DeliveryNext::Failed, "{class:?}");
            assert!(!scheduled(class, 1).disable_endpoint);
        }
    }

    #[test]
    fn blocked_and_tls_fail_at_once() {
        for class in [OutcomeClass::Blocked, OutcomeClass::Tls] {
            for trigger in [Trigger::Scheduled, Trigger::Manual] {
                let d = try_with(class, trigger, 1, 0.0, None);
                assert_eq!(d.next, DeliveryNext::Failed, "{class:?}");
                assert!(!d.disable_endpoint);
            }
        }
    }

    #[test]
    fn jitter_moves_the_retry_within_bounds() {
        let late = try_with(OutcomeClass::Transient, Trigger::Scheduled, 2, 1.0, None);
        let early = try_with(OutcomeClass::Transient, Trigger::Scheduled, 2, -1.0, None);
        assert_eq!(late.next, DeliveryNext::RetryAt(NOW + 1_200));
        assert_eq!(early.next, DeliveryNext::RetryAt(NOW + 800));
    }

    #[test]
    fn gone_disables_the_endpoint_and_keeps_the_schedule() {
        let d = scheduled(OutcomeClass::Gone, 1);
        assert_eq!(
            d,
            Decision {
                next: DeliveryNext::RetryAt(NOW + 100),
                disable_endpoint: true
            }
        );
        let last = scheduled(OutcomeClass::Gone, 3);
        assert_eq!(
            last,
            Decision {
                next: DeliveryNext::Failed,
                disable_endpoint: true
            }
        );
    }

    #[test]
    fn manual_tries_are_single() {
        use OutcomeClass::*;
        for class in [Transient, Throttled, Auth, Blocked, Tls, Other, Gone] {
            let d = try_with(class, Trigger::Manual, 1, 0.0, None);
            assert_eq!(d.next, DeliveryNext::Failed, "{class:?}");
            assert_eq!(d.disable_endpoint, class == Gone);
        }
    }

    #[test]
    fn retry_after_extends_the_delay() {
        let d = try_with(
            OutcomeClass::Throttled,
            Trigger::Scheduled,
            1,
            0.0,
            Some(30_000),
        );
        assert_eq!(d.next, DeliveryNext::RetryAt(NOW + 30_000));
        // Shorter than the schedule: the schedule wins.
        let d = try_with(
            OutcomeClass::Throttled,
            Trigger::Scheduled,
            1,
            0.0,
            Some(10),
        );
        assert_eq!(d.next, DeliveryNext::RetryAt(NOW + 100));
    }
}
