//! One claimed delivery, from its send slot to its recorded outcome.

use std::sync::Arc;

use rand::Rng;
use sluice_core::now_millis;
use sluice_core::retry::{OutcomeClass, RetrySchedule};
use sluice_store::{Claimed, DeliveryNext, Outcome};
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::decide::{self, decide};
use super::limits::Slot;
use super::send::Sender;

/// What every delivery task shares.
pub struct Ctx {
    /// Signs and sends.
    pub sender: Sender,
    /// The retry policy.
    pub schedule: RetrySchedule,
    /// The recorder's queue.
    pub outcomes: mpsc::Sender<Outcome>,
    /// Set when the server stops.
    pub shutdown: CancellationToken,
}

/// Delivers one claim. `permit` (global in-flight) is held until the outcome is queued,
/// `slot` (per endpoint) until the send is over.
pub async fn deliver(
    ctx: Arc<Ctx>,
    mut claimed: Claimed,
    permit: OwnedSemaphorePermit,
    mut slot: Slot,
) {
    let d = &claimed.delivery;
    let span = tracing::info_span!(
        "delivery",
        delivery.id = %d.id,
        endpoint.id = %d.endpoint_id,
        msg.id = %d.msg_id,
        attempt = d.attempts + 1,
        round.attempt = d.round_attempts + 1,
    );
    async move {
        let got_slot = tokio::select! {
            biased;
            () = slot.acquire() => true,
            () = ctx.shutdown.cancelled() => false,
        };
        let outcome = if got_slot {
            let now = now_millis();
            let tried = ctx.sender.send(&mut claimed, now).await;
            drop(slot);
            log_try(&claimed, &tried);
            let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
            let round_done = claimed.delivery.round_attempts + 1;
            let decision = decide(
                tried.class,
                claimed.delivery.trigger,
                round_done,
                now,
                jitter,
                tried.retry_after_ms,
                &ctx.schedule,
            );
            if decision.next == DeliveryNext::Failed {
                tracing::info!("delivery failed: no tries left in this round");
            }
            decide::outcome(&claimed, tried, decision, now)
        } else {
            // Shutting down before a send slot was free: give the claim back untried.
            drop(slot);
            decide::release(&claimed, now_millis())
        };
        if ctx.outcomes.send(outcome).await.is_err() {
            tracing::error!(
                "outcome recorder is gone; the delivery is retried when its lease expires"
            );
        }
        drop(permit);
    }
    .instrument(span)
    .await
}

fn log_try(claimed: &Claimed, tried: &decide::Tried) {
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
