//! One claimed delivery, from its send time and send slot to its outcome.

use rand::Rng;
use sluice_core::clock::Clock;
use sluice_core::events::{AttemptRef, DeliveryRef, EndpointRef, OpEvent};
use sluice_core::queue::{Claimed, Decision, DeliveryNext, Outcome, Tried};
use sluice_core::retry::{OutcomeClass, RetrySchedule};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::decide::decide;
use super::limits::Slot;
use super::send::Sender;

/// The failed try of a round that raises `message.attempt.failing` (as in Svix).
pub const FAILING_AT_TRY: u32 = 4;

/// What every delivery shares.
pub struct Ctx {
    /// Signs and sends.
    pub sender: Sender,
    /// The retry policy.
    pub schedule: RetrySchedule,
    /// The time of tries in the background loop (a step pins its own).
    pub clock: std::sync::Arc<dyn Clock>,
}

/// A delivery's outcome, with the operational events it raises once it is committed.
pub struct Finished {
    /// For the store.
    pub outcome: Outcome,
    /// Emitted after the outcome is committed.
    pub events: Vec<OpEvent>,
}

/// Delivers one claim: in the background loop (`pace`) first waits for the send time its
/// endpoint's throttle reserved, then for a send slot at its endpoint (held until the send
/// is over), makes the try at `clock`'s time and decides what it means. If `shutdown` comes
/// first, the claim is given back untried. A step (`pace` false) sends at once: its clock
/// stands still, and the reserved times are the claim's to check.
pub async fn deliver(
    ctx: &Ctx,
    mut claimed: Claimed,
    mut slot: Slot,
    clock: &dyn Clock,
    shutdown: &CancellationToken,
    pace: bool,
) -> Finished {
    let d = &claimed.delivery;
    let span = tracing::info_span!(
        "delivery",
        delivery.id = %d.id,
        endpoint.id = %d.endpoint_id,
        app.id = %d.app_id,
        msg.id = %d.msg_id,
        attempt = d.attempts + 1,
        round.attempt = d.round_attempts + 1,
    );
    // Joins the trace of the publish that made the message (see `crate::trace`).
    crate::trace::continue_trace(&span, claimed.message.trace_context.as_deref());
    async move {
        let wait = claimed.not_before - clock.now();
        let ready = async {
            if pace && wait > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(wait as u64)).await;
            }
            slot.acquire().await;
        };
        let got_slot = tokio::select! {
            biased;
            () = ready => true,
            () = shutdown.cancelled() => false,
        };
        if !got_slot {
            // Shutting down before the send time or a send slot: give the claim back untried.
            drop(slot);
            return Finished {
                outcome: Outcome::released(&claimed, clock.now()),
                events: Vec::new(),
            };
        }
        let now = clock.now();
        let attempt = tracing::info_span!("attempt", http.status = tracing::field::Empty);
        let tried = ctx
            .sender
            .send(&mut claimed, now)
            .instrument(attempt.clone())
            .await;
        attempt.record("http.status", tried.status.unwrap_or(0));
        drop(slot);
        record_metrics(&tried);
        let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
        let decision = decide(&tried, &claimed.delivery, &ctx.schedule, now, jitter);
        let outcome = Outcome::of_try(&claimed, tried.clone(), decision, now);
        log_outcome(&claimed, &tried, &decision, &outcome);
        let events = events_of(&claimed, &tried, &decision, &outcome);
        Finished { outcome, events }
    }
    .instrument(span)
    .await
}

/// `sluice_attempts_total{class, status}` and `sluice_attempt_duration_seconds{class}`.
fn record_metrics(tried: &Tried) {
    let status = match tried.status {
        Some(s @ 200..=599) => ["2xx", "3xx", "4xx", "5xx"][usize::from(s / 100 - 2)],
        _ => "none",
    };
    let class = tried.class.as_str();
    metrics::counter!("sluice_attempts_total", "class" => class, "status" => status).increment(1);
    metrics::histogram!("sluice_attempt_duration_seconds", "class" => class)
        .record(tried.duration_ms.max(0) as f64 / 1000.0);
}

/// The attempt events of a try: failing at the 4th failed try of a round, exhausted when
/// it becomes a dead letter, recovered on a success after that many, auth failed on
/// 401/403.
fn events_of(
    claimed: &Claimed,
    tried: &Tried,
    decision: &Decision,
    outcome: &Outcome,
) -> Vec<OpEvent> {
    let Some(attempt) = &outcome.attempt else {
        return Vec::new();
    };
    let d = &claimed.delivery;
    let reference = || DeliveryRef {
        endpoint: EndpointRef {
            app_id: d.app_id.clone(),
            app_uid: None,
            endpoint_id: d.endpoint_id.clone(),
            endpoint_uid: claimed.endpoint.uid.clone(),
        },
        msg_id: d.msg_id.clone(),
        msg_event_id: claimed.message.event_id.clone(),
        last_attempt: AttemptRef {
            id: attempt.id.clone(),
            timestamp: attempt.created_at,
            response_status_code: attempt.response_status_code,
        },
    };
    let round_done = d.round_attempts + 1;
    let mut events = Vec::new();
    if tried.class == OutcomeClass::Success {
        if d.round_attempts >= FAILING_AT_TRY {
            events.push(OpEvent::AttemptRecovered(reference()));
        }
        return events;
    }
    if tried.class == OutcomeClass::Auth {
        events.push(OpEvent::AttemptAuthFailed(reference()));
    }
    if round_done == FAILING_AT_TRY {
        events.push(OpEvent::AttemptFailing(reference()));
    }
    if decision.next == DeliveryNext::Failed {
        events.push(OpEvent::AttemptExhausted(reference()));
    }
    events
}

/// Logs the delivery's state change once, with its ids (the span carries delivery,
/// endpoint, application, message and try numbers): successes at debug, failures at info
/// or warn. Never the body or a secret.
fn log_outcome(claimed: &Claimed, tried: &Tried, decision: &Decision, outcome: &Outcome) {
    let attempt = outcome.attempt.as_ref().map_or("", |a| a.id.as_str());
    let status = tried.status.unwrap_or(0);
    let ms = tried.duration_ms;
    let class = tried.class.as_str();
    let next = match decision.next {
        DeliveryNext::Succeeded => "succeeded".to_owned(),
        DeliveryNext::RetryAt(t) => format!("retry at {t}"),
        DeliveryNext::Failed => "failed (dead letter)".to_owned(),
    };
    let ep = &claimed.endpoint.id;
    match tried.class {
        OutcomeClass::Success => {
            tracing::debug!(attempt.id = attempt, status, ms, class, next, "delivered")
        }
        OutcomeClass::Auth => tracing::warn!(
            attempt.id = attempt,
            status,
            class,
            next,
            "endpoint {ep} refused the delivery as unauthorized"
        ),
        OutcomeClass::Gone => tracing::warn!(
            attempt.id = attempt,
            status,
            class,
            next,
            "endpoint {ep} answered 410 Gone; disabling it"
        ),
        OutcomeClass::Blocked => tracing::warn!(
            attempt.id = attempt,
            class,
            next,
            "destination address is not allowed (private network); add it to allowed_networks"
        ),
        OutcomeClass::Tls => tracing::warn!(
            attempt.id = attempt,
            class,
            next,
            "TLS handshake with endpoint {ep} failed"
        ),
        _ if decision.next == DeliveryNext::Failed => tracing::warn!(
            attempt.id = attempt,
            status,
            ms,
            class,
            next,
            "delivery failed: no tries left in this round"
        ),
        _ => tracing::info!(attempt.id = attempt, status, ms, class, next, "try failed"),
    }
}
