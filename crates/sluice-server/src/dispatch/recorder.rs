//! The batched outcome writer. In the background loop, delivery tasks hand their outcomes
//! to one recorder task over a bounded channel; it applies everything queued (up to
//! [`MAX_BATCH`]) with one `record_outcomes` call, so the store commits hundreds of outcomes
//! per transaction. A step records its outcomes with the same [`record`].
//!
//! A failed write is retried with backoff; the lease fences any duplicate application. If
//! a batch keeps failing, its outcomes are written one by one, so a single outcome the
//! store rejects for good (reported, then dropped) cannot block the others.

use std::sync::Arc;
use std::time::Duration;

use sluice_core::queue::{DeliveryNext, Outcome};
use sluice_store::QueueStore;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Most outcomes per `record_outcomes` call.
pub const MAX_BATCH: usize = 512;
/// Capacity of the channel: when the store falls this far behind, delivery tasks wait
/// (holding their in-flight permits), which stops new claims.
pub const QUEUE: usize = 4 * MAX_BATCH;
/// Once shutting down, a write is given up after this many failed tries (the leases of its
/// deliveries expire and they are sent again: at least once still holds).
const TRIES_WHEN_CLOSING: u32 = 5;

/// Starts the recorder. It ends when every sender is dropped and the queue is drained.
/// `rescheduled` is notified after outcomes that schedule a retry are committed: the
/// dispatcher loop may be sleeping towards a later time (such as the lease expiry of the
/// delivery that was just rescheduled).
pub fn spawn(
    store: Arc<dyn QueueStore>,
    rescheduled: Arc<Notify>,
    shutdown: CancellationToken,
) -> (mpsc::Sender<Outcome>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(QUEUE);
    (tx, tokio::spawn(run(store, rx, rescheduled, shutdown)))
}

async fn run(
    store: Arc<dyn QueueStore>,
    mut rx: mpsc::Receiver<Outcome>,
    rescheduled: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let outcomes = std::mem::take(&mut batch);
        let retries = outcomes
            .iter()
            .any(|o| matches!(o.next, DeliveryNext::RetryAt(_)));
        record(&*store, outcomes, &shutdown).await;
        if retries {
            rescheduled.notify_one();
        }
    }
}

/// Applies `outcomes` in one `record_outcomes` call, with retries; if the batch keeps
/// failing, one by one, dropping (and reporting) only those the store keeps rejecting.
pub async fn record(store: &dyn QueueStore, outcomes: Vec<Outcome>, shutdown: &CancellationToken) {
    if let Err(outcomes) = write(store, outcomes, shutdown, 3).await {
        for outcome in outcomes {
            if let Err(o) = write(store, vec![outcome], shutdown, u32::MAX).await {
                tracing::error!(
                    delivery.id = %o[0].delivery_id,
                    "delivery outcome could not be recorded and was dropped; the delivery is retried when its lease expires"
                );
            }
        }
    }
}

/// Writes `outcomes` with retries. Gives them back after `tries` failed tries, after a
/// permanent rejection, or (shutting down) after [`TRIES_WHEN_CLOSING`].
async fn write(
    store: &dyn QueueStore,
    outcomes: Vec<Outcome>,
    shutdown: &CancellationToken,
    tries: u32,
) -> Result<(), Vec<Outcome>> {
    let mut backoff = Duration::from_millis(50);
    let mut failed = 0u32;
    loop {
        let err = match store.record_outcomes(outcomes.clone()).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        failed += 1;
        tracing::warn!(count = outcomes.len(), error = %err, "recording delivery outcomes failed");
        let permanent = !err.is_retryable();
        let limit = if shutdown.is_cancelled() {
            tries.min(TRIES_WHEN_CLOSING)
        } else {
            tries
        };
        if permanent || failed >= limit {
            return Err(outcomes);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
