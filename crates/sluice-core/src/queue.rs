//! The delivery queue's vocabulary, shared by every store backend and the dispatcher.
//!
//! One pass of the dispatcher reads as these types: it asks the store for due work with a
//! [`ClaimRequest`], gets [`Claimed`] deliveries (each with everything its send needs, so the
//! sender looks nothing up), makes one try of each and describes it as [`Tried`], decides
//! what that means ([`Decision`], whose [`DeliveryNext`] is the delivery's next state), and
//! hands the store an [`Outcome`] per delivery. Keeping the words here, beside the retry
//! policy, lets a backend implement the queue and the dispatcher decide without either
//! depending on the other.

use std::collections::HashMap;

use crate::ids;
use crate::model::{Attempt, Delivery, DeliveryStatus, Endpoint, Message};
use crate::retry::OutcomeClass;
use crate::Millis;

/// Parameters of a claim.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    /// Current time; deliveries with `next_attempt_at <= now` are due.
    pub now: Millis,
    /// The lease length: a claimed delivery becomes due again at `now + lease_ms` if its
    /// claimer never records an outcome (the process died).
    pub lease_ms: Millis,
    /// At most this many deliveries.
    pub limit: usize,
    /// At most this many deliveries of any one endpoint.
    pub per_endpoint: usize,
    /// Endpoints the caller cannot take more work for right now.
    pub exclude_endpoints: Vec<String>,
    /// At most this many deliveries of any one application (the caller's share of an
    /// application that holds no claims yet).
    pub per_app: usize,
    /// Applications that may take fewer than `per_app` because the caller already holds
    /// claims of theirs: how many more each may take (0: none, like an excluded endpoint).
    pub app_room: HashMap<String, usize>,
}

/// A delivery leased to the caller, with what is needed to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The delivery, now in `Sending` with `next_attempt_at` = lease expiry.
    pub delivery: Delivery,
    /// The fencing token: outcomes are applied only while it still matches.
    pub lease: i64,
    /// The message (with payload).
    pub message: Message,
    /// The endpoint (with sealed secrets).
    pub endpoint: Endpoint,
    /// Send no earlier than this: the time the endpoint's throttle reserved for this
    /// delivery (the claim's `now` when it is not throttled). The lease runs from it.
    pub not_before: Millis,
}

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

impl Tried {
    /// A try that ended before any response: refused by policy, unsignable, or failed to
    /// connect (`duration_ms` is 0 until the caller sets it).
    pub fn without_response(class: OutcomeClass, response: String) -> Self {
        Self {
            status: None,
            class,
            response,
            duration_ms: 0,
            retry_after_ms: None,
        }
    }
}

/// What happens to a delivery after a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryNext {
    /// Delivered.
    Succeeded,
    /// Due again at this time (round_attempts is incremented when an attempt is recorded).
    RetryAt(Millis),
    /// Exhausted: dead-letter state.
    Failed,
}

/// The state change a try causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Delivered, retry at a time, or failed (dead-letter).
    pub next: DeliveryNext,
    /// The endpoint answered 410 Gone: disable it.
    pub disable_endpoint: bool,
}

/// The outcome of one claimed delivery, applied by the store's `record_outcomes`.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Delivery id.
    pub delivery_id: String,
    /// Fencing token from the claim.
    pub lease: i64,
    /// The try that was made, if one was (a claim can be released without a try).
    pub attempt: Option<Attempt>,
    /// New state of the delivery.
    pub next: DeliveryNext,
    /// Disable the endpoint (it answered 410).
    pub disable_endpoint: bool,
    /// The `Retry-After` of a throttled answer: the whole endpoint pauses this long.
    pub retry_after_ms: Option<Millis>,
}

/// A change of an endpoint's delivery control that a batch of outcomes caused, as
/// `record_outcomes` reports it (after the commit; the dispatcher turns it into an
/// operational event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlChange {
    /// `ep_…`
    pub endpoint_id: String,
    /// Its application.
    pub app_id: String,
    /// Its uid, if it has one.
    pub endpoint_uid: Option<String>,
    /// What happened.
    pub kind: ControlChangeKind,
}

/// What happened to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlChangeKind {
    /// Its circuit opened after `failures` consecutive failed tries; a probe may go at
    /// `until`.
    CircuitOpened {
        /// Consecutive failed tries.
        failures: u32,
        /// When the probe may go.
        until: Millis,
    },
    /// A success closed its circuit.
    CircuitClosed,
    /// Sluice disabled it: it answered 410 Gone (`gone`), or it failed without a success
    /// since `fail_since` for longer than the policy allows.
    Disabled {
        /// Start of its failures without a success.
        fail_since: Option<Millis>,
        /// Disabled because it answered 410.
        gone: bool,
    },
}

/// What `record_outcomes` changed beyond the deliveries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Endpoint control changes, in no particular order.
    pub changes: Vec<ControlChange>,
}

impl Outcome {
    /// The attempt row and delivery transition for a try of `claimed` made at `now`.
    pub fn of_try(claimed: &Claimed, tried: Tried, decision: Decision, now: Millis) -> Self {
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
        Self {
            delivery_id: d.id.clone(),
            lease: claimed.lease,
            attempt: Some(attempt),
            next: decision.next,
            disable_endpoint: decision.disable_endpoint,
            retry_after_ms: tried.retry_after_ms,
        }
    }

    /// The class of the try this outcome records, `None` if no try was made: the stored
    /// class, or (for rows written without one) the class of its status code.
    pub fn class(&self) -> Option<OutcomeClass> {
        let a = self.attempt.as_ref()?;
        let by_status = || {
            let code = u16::try_from(a.response_status_code)
                .ok()
                .filter(|c| *c > 0);
            crate::retry::classify(code)
        };
        Some(
            a.error_class
                .as_deref()
                .and_then(OutcomeClass::parse)
                .unwrap_or_else(by_status),
        )
    }

    /// Gives a claim back without a try (shutdown before a send slot was free): due again
    /// at `now`, and the round's try count is unchanged since no attempt is recorded.
    pub fn released(claimed: &Claimed, now: Millis) -> Self {
        Self {
            delivery_id: claimed.delivery.id.clone(),
            lease: claimed.lease,
            attempt: None,
            next: DeliveryNext::RetryAt(now),
            disable_endpoint: false,
            retry_after_ms: None,
        }
    }
}
