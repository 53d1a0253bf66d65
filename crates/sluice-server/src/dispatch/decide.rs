//! What one try means for its delivery: a pure function of the try's class, the delivery's
//! trigger and round, the clock and the retry policy. Also builds the `Attempt` row and the
//! `Outcome` handed to the recorder.

use sluice_core::ids;
use sluice_core::model::{Attempt, DeliveryStatus, Trigger};
use sluice_core::retry::{self, Next, OutcomeClass, RetrySchedule};
use sluice_core::Millis;
use sluice_store::{Claimed, DeliveryNext, Outcome};

/// The result of one try, as the sender saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tried {
    /// HTTP status, `None` when no response arrived (refused, network error, timeout).
    pub status: Option<u16>,
    /// The class that drives the decision.
    pub class: OutcomeClass,
    /// Response body (bounded, lossy UTF-8) or a description of the failure.
    pub response: String,
    /// Time from sending to the end of the (bounded) response.
    pub duration_ms: i64,
    /// `Retry-After` of a 429/503, in milliseconds from the try.
    pub retry_after_ms: Option<Millis>,
}

/// The state change a try causes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Delivered, retry at a time, or failed (dead-letter).
    pub next: DeliveryNext,
    /// The endpoint answered 410 Gone: disable it.
    pub disable_endpoint: bool,
}

/// Whether a `Retry-After` header of a response with this status is honoured.
pub fn honours_retry_after(status: u16) -> bool {
    matches!(status, 429 | 503)
}

/// Decides the next step. `round_done` counts the tries of this round including this one;
/// `jitter` is uniform in `[-1, 1]`.
pub fn decide(
    class: OutcomeClass,
    trigger: Trigger,
    round_done: u32,
    now: Millis,
    jitter: f64,
    retry_after_ms: Option<Millis>,
    schedule: &RetrySchedule,
) -> Decision {
    let after_failure = || match trigger {
        // A resend or recover is one try (as in Svix); a failure ends it.
        Trigger::Manual => DeliveryNext::Failed,
        Trigger::Scheduled => {
            match retry::next_step(schedule, round_done, now, jitter, retry_after_ms) {
                Next::RetryAt(at) => DeliveryNext::RetryAt(at),
                Next::Exhausted => DeliveryNext::Failed,
            }
        }
    };
    match class {
        OutcomeClass::Success => Decision {
            next: DeliveryNext::Succeeded,
            disable_endpoint: false,
        },
        // The delivery keeps its schedule; it waits while the endpoint is disabled.
        OutcomeClass::Gone => Decision {
            next: after_failure(),
            disable_endpoint: true,
        },
        OutcomeClass::Transient
        | OutcomeClass::Throttled
        | OutcomeClass::Auth
        | OutcomeClass::Blocked
        | OutcomeClass::Other => Decision {
            next: after_failure(),
            disable_endpoint: false,
        },
    }
}

/// The attempt row and delivery transition for a try of `claimed` made at `now`.
pub fn outcome(claimed: &Claimed, tried: Tried, decision: Decision, now: Millis) -> Outcome {
    let d = &claimed.delivery;
    let status = if tried.class == OutcomeClass::Success {
        DeliveryStatus::Success
    } else {
        DeliveryStatus::Fail
    };
    let attempt = Attempt {
        id: ids::new_id(ids::ATTEMPT, now),
        delivery_id: d.id.clone(),
        msg_id: d.msg_id.clone(),
        endpoint_id: d.endpoint_id.clone(),
        app_id: d.app_id.clone(),
        url: claimed.endpoint.url.clone(),
        response: tried.response,
        response_status_code: tried.status.map_or(0, i32::from),
        response_duration_ms: tried.duration_ms,
        status,
        trigger: d.trigger,
        error_class: Some(tried.class.as_str().to_owned()),
        created_at: now,
    };
    Outcome {
        delivery_id: d.id.clone(),
        lease: claimed.lease,
        attempt: Some(attempt),
        next: decision.next,
        disable_endpoint: decision.disable_endpoint,
    }
}

/// Gives a claim back without a try (shutdown before a send slot was free): due again now,
/// and the round's try count is unchanged since no attempt is recorded.
pub fn release(claimed: &Claimed, now: Millis) -> Outcome {
    Outcome {
        delivery_id: claimed.delivery.id.clone(),
        lease: claimed.lease,
        attempt: None,
        next: DeliveryNext::RetryAt(now),
        disable_endpoint: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_000_000;

    fn schedule() -> RetrySchedule {
        RetrySchedule::from_millis(&[100, 1_000])
    }

    fn scheduled(class: OutcomeClass, done: u32) -> Decision {
        decide(class, Trigger::Scheduled, done, NOW, 0.0, None, &schedule())
    }

    #[test]
    fn success_is_final_for_any_trigger() {
        for trigger in [Trigger::Scheduled, Trigger::Manual] {
            let d = decide(
                OutcomeClass::Success,
                trigger,
                3,
                NOW,
                1.0,
                Some(5),
                &schedule(),
            );
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
        for class in [Transient, Throttled, Auth, Blocked, Other] {
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
    fn jitter_moves_the_retry_within_bounds() {
        let late = decide(
            OutcomeClass::Transient,
            Trigger::Scheduled,
            2,
            NOW,
            1.0,
            None,
            &schedule(),
        );
        let early = decide(
            OutcomeClass::Transient,
            Trigger::Scheduled,
            2,
            NOW,
            -1.0,
            None,
            &schedule(),
        );
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
        for class in [Transient, Throttled, Auth, Blocked, Other, Gone] {
            let d = decide(class, Trigger::Manual, 1, NOW, 0.0, None, &schedule());
            assert_eq!(d.next, DeliveryNext::Failed, "{class:?}");
            assert_eq!(d.disable_endpoint, class == Gone);
        }
    }

    #[test]
    fn retry_after_extends_the_delay() {
        let d = decide(
            OutcomeClass::Throttled,
            Trigger::Scheduled,
            1,
            NOW,
            0.0,
            Some(30_000),
            &schedule(),
        );
        assert_eq!(d.next, DeliveryNext::RetryAt(NOW + 30_000));
        // Shorter than the schedule: the schedule wins.
        let d = decide(
            OutcomeClass::Throttled,
            Trigger::Scheduled,
            1,
            NOW,
            0.0,
            Some(10),
            &schedule(),
        );
        assert_eq!(d.next, DeliveryNext::RetryAt(NOW + 100));
        assert!(honours_retry_after(429) && honours_retry_after(503));
        assert!(
            !honours_retry_after(500) && !honours_retry_after(200) && !honours_retry_after(301)
        );
    }
}
