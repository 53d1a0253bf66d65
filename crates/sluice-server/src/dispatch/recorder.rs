//! The batched outcome writer. In the background loop, delivery tasks hand their outcomes
//! to one recorder task over a bounded channel; it applies everything queued (up to
//! [`MAX_BATCH`]) with one `record_outcomes` call, so the store commits hundreds of outcomes
//! per transaction. A step records its outcomes with the same [`record`].
//!
//! A failed write is retried with backoff; the lease fences any duplicate application. If
//! a batch keeps failing, its outcomes are written one by one, so a single outcome the
//! store rejects for good (reported, then dropped) cannot block the others.
//!
//! Once outcomes are committed, the recorder hands their operational events to the event
//! sink: the attempt events the workers prepared, and the endpoint changes the store
//! reported (circuit opened or closed, endpoint disabled), which it also logs and counts.

use std::sync::Arc;
use std::time::Duration;

use sluice_core::control::ControlPolicy;
use sluice_core::events::{DisableTrigger, EndpointRef, OpEvent};
use sluice_core::queue::{ControlChange, ControlChangeKind, DeliveryNext, Outcome, Recorded};
use sluice_store::QueueStore;

use super::worker::Finished;
use crate::events::EventSink;

/// Where outcomes go: the store, under the delivery control policy, and the event sink.
pub struct Sink {
    /// The queue.
    pub store: Arc<dyn QueueStore>,
    /// The breaker and auto-disable thresholds.
    pub policy: ControlPolicy,
    /// Operational events.
    pub events: Arc<dyn EventSink>,
}
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
    sink: Arc<Sink>,
    rescheduled: Arc<Notify>,
    shutdown: CancellationToken,
) -> (mpsc::Sender<Finished>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(QUEUE);
    (tx, tokio::spawn(run(sink, rx, rescheduled, shutdown)))
}

async fn run(
    sink: Arc<Sink>,
    mut rx: mpsc::Receiver<Finished>,
    rescheduled: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let finished = std::mem::take(&mut batch);
        let retries = finished
            .iter()
            .any(|f| matches!(f.outcome.next, DeliveryNext::RetryAt(_)));
        let changed = record(&sink, finished, &shutdown).await;
        // A closed circuit or a new retry time may be earlier than the loop's sleep.
        if retries || changed {
            rescheduled.notify_one();
        }
    }
}

/// Applies the outcomes in one `record_outcomes` call, with retries; if the batch keeps
/// failing, one by one, dropping (and reporting) only those the store keeps rejecting.
/// Then emits the events of the committed ones. Returns whether an endpoint's control
/// changed.
pub async fn record(sink: &Sink, finished: Vec<Finished>, shutdown: &CancellationToken) -> bool {
    let (outcomes, events): (Vec<Outcome>, Vec<(String, Vec<OpEvent>)>) = finished
        .into_iter()
        .map(|f| {
            let id = f.outcome.delivery_id.clone();
            (f.outcome, (id, f.events))
        })
        .unzip();
    let store = &*sink.store;
    let mut recorded = Recorded::default();
    let mut dropped = std::collections::HashSet::new();
    match write(store, outcomes, sink.policy, shutdown, 3).await {
        Ok(r) => recorded = r,
        Err(outcomes) => {
            for outcome in outcomes {
                match write(store, vec![outcome], sink.policy, shutdown, u32::MAX).await {
                    Ok(r) => recorded.changes.extend(r.changes),
                    Err(o) => {
                        tracing::error!(
                            delivery.id = %o[0].delivery_id,
                            "delivery outcome could not be recorded and was dropped; the delivery is retried when its lease expires"
                        );
                        dropped.insert(o[0].delivery_id.clone());
                    }
                }
            }
        }
    }
    // Only what was committed is reported.
    for (delivery_id, events) in events {
        if !dropped.contains(&delivery_id) {
            for event in events {
                sink.events.emit(event);
            }
        }
    }
    let changed = !recorded.changes.is_empty();
    for change in recorded.changes {
        report(sink, change);
    }
    // (`sluice_circuit_open_endpoints` is read from the store when /metrics is scraped, so
    // every node shows the cluster's count.)
    changed
}

/// Logs, counts and emits one endpoint control change.
fn report(sink: &Sink, change: ControlChange) {
    let endpoint = EndpointRef {
        app_id: change.app_id,
        app_uid: None,
        endpoint_id: change.endpoint_id,
        endpoint_uid: change.endpoint_uid,
    };
    let ep = endpoint.endpoint_id.clone();
    let event = match change.kind {
        ControlChangeKind::CircuitOpened { failures, until } => {
            tracing::warn!(endpoint.id = %ep, app.id = %endpoint.app_id, failures, until, "circuit opened: deliveries to the endpoint wait, one probe per cool-down");
            metrics::counter!("sluice_circuit_transitions_total", "to" => "open").increment(1);
            OpEvent::CircuitOpened {
                endpoint,
                failures,
                until,
            }
        }
        ControlChangeKind::CircuitClosed => {
            tracing::info!(endpoint.id = %ep, app.id = %endpoint.app_id, "circuit closed: the probe succeeded; the backlog drains");
            metrics::counter!("sluice_circuit_transitions_total", "to" => "closed").increment(1);
            OpEvent::CircuitClosed(endpoint)
        }
        ControlChangeKind::Disabled { fail_since, gone } => {
            let trigger = if gone { "gone" } else { "automatic" };
            tracing::warn!(endpoint.id = %ep, app.id = %endpoint.app_id, trigger, fail_since, "endpoint disabled by Sluice; its deliveries are kept until it is re-enabled");
            metrics::counter!("sluice_endpoints_disabled_total", "trigger" => trigger).increment(1);
            OpEvent::EndpointDisabled {
                endpoint,
                fail_since,
                trigger: DisableTrigger::Automatic,
            }
        }
    };
    sink.events.emit(event);
}

/// Writes `outcomes` with retries. Gives them back after `tries` failed tries, after a
/// permanent rejection, or (shutting down) after [`TRIES_WHEN_CLOSING`].
async fn write(
    store: &dyn QueueStore,
    outcomes: Vec<Outcome>,
    policy: ControlPolicy,
    shutdown: &CancellationToken,
    tries: u32,
) -> Result<Recorded, Vec<Outcome>> {
    let mut backoff = Duration::from_millis(50);
    let mut failed = 0u32;
    loop {
        let err = match store.record_outcomes_under(outcomes.clone(), policy).await {
            Ok(r) => return Ok(r),
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
