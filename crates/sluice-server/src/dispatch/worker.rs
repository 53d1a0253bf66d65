//! One claimed delivery, from its send slot to its outcome.

use rand::Rng;
use sluice_core::clock::Clock;
use sluice_core::queue::{Claimed, DeliveryNext, Outcome, Tried};
use sluice_core::retry::{OutcomeClass, RetrySchedule};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::decide::decide;
use super::limits::Slot;
use super::send::Sender;

/// What every delivery shares.
pub struct Ctx {
    /// Signs and sends.
    pub sender: Sender,
    /// The retry policy.
    pub schedule: RetrySchedule,
    /// The time of tries in the background loop (a step pins its own).
    pub clock: std::sync::Arc<dyn Clock>,
}

/// Delivers one claim: waits for a send slot at its endpoint (held until the send is over),
/// makes the try at `clock`'s time and decides what it means. If `shutdown` comes first,
/// the claim is given back untried.
pub async fn deliver(
    ctx: &Ctx,
    mut claimed: Claimed,
    mut slot: Slot,
    clock: &dyn Clock,
    shutdown: &CancellationToken,
) -> Outcome {
    let d = &claimed.delivery;
    let span = tracing::info_span!(
        "delivery",
        delivery.id = %d.id,
        endpoint.id = %d.endpoint_id,
        msg.id = %d.msg_id,
        attempt = d.attempts + 1,
        round.attempt = d.round_attempts + 1,
    );
    // Joins the trace of the publish that made the message (see `crate::trace`).
    crate::trace::continue_trace(&span, claimed.message.trace_context.as_deref());
    async move {
        let got_slot = tokio::select! {
            biased;
            () = slot.acquire() => true,
            () = shutdown.cancelled() => false,
        };
        if !got_slot {
            // Shutting down before a send slot was free: give the claim back untried.
            drop(slot);
            return Outcome::released(&claimed, clock.now());
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
        log_try(&claimed, &tried);
        let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
        let decision = decide(&tried, &claimed.delivery, &ctx.schedule, now, jitter);
        if decision.next == DeliveryNext::Failed {
            tracing::info!("delivery failed: no tries left in this round");
        }
        Outcome::of_try(&claimed, tried, decision, now)
    }
    .instrument(span)
    .await
}

fn log_try(claimed: &Claimed, tried: &Tried) {
    let status = tried.status.unwrap_or(0);
    let ms = tried.duration_ms;
    match tried.class {
        OutcomeClass::Success => tracing::debug!(status, ms, "delivered"),
        OutcomeClass::Auth => tracing::warn!(
            endpoint.id = %claimed.endpoint.id,
            status,
            "endpoint refused the delivery as unauthorized; retrying on schedule"
        ),
        OutcomeClass::Gone => tracing::warn!(
            endpoint.id = %claimed.endpoint.id,
            "endpoint answered 410 Gone; disabling it"
        ),
        OutcomeClass::Blocked => tracing::warn!(
            endpoint.id = %claimed.endpoint.id,
            "destination address is not allowed (private network); add it to allowed_networks"
        ),
        class => tracing::debug!(status, ms, class = class.as_str(), "try failed"),
    }
}
