//! The background loop: [`Dispatcher::claim`] driven by the injected clock and woken by
//! signals, pipelined.
//!
//! Each claimed delivery becomes a task that hands its outcome to the recorder, and the loop
//! claims again at once while there is capacity, so sends overlap the claim's round trip
//! and outcomes are committed hundreds per transaction. When a claim finds nothing, the
//! loop sleeps on the store's work signal, a freed endpoint slot or application share, a
//! retry time just committed by the recorder, or the next due time (capped at [`MAX_IDLE`],
//! which also picks up expired leases and other writers).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Notify};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::worker::Finished;
use super::{recorder, worker, Dispatcher};
use crate::state::AppState;

/// Longest sleep without looking at the store.
const MAX_IDLE: Duration = Duration::from_secs(1);
/// Sleep when work is due but all of it belongs to endpoints at their cap (a freed slot
/// wakes the loop earlier).
const SATURATED_RECHECK: Duration = Duration::from_millis(250);
/// Sleep when work is due but the claim returned none (a race with another claimer).
const RACE_RECHECK: Duration = Duration::from_millis(20);
/// Pause after a store error.
const ERROR_BACKOFF: Duration = Duration::from_secs(1);

/// Starts the dispatcher of `state` (its store, config, secrets and clock) in the
/// background. On `shutdown` it stops claiming, lets in-flight sends finish (bounded by the
/// request timeout), records their outcomes and returns.
///
/// # Panics
/// If the HTTP client cannot be built (the TLS backend failed to initialise).
pub fn spawn(state: AppState, shutdown: CancellationToken) -> JoinHandle<()> {
    Dispatcher::of_state(&state).spawn(shutdown)
}

/// What every background delivery task needs besides the shared context.
struct Pipeline {
    /// The recorder's queue.
    outcomes: mpsc::Sender<Finished>,
    /// Set when the server stops: a delivery still waiting for its send slot gives its
    /// claim back untried.
    shutdown: CancellationToken,
    /// Beaten when a try ends: progress while every slot is busy sending.
    heartbeat: Arc<crate::telemetry::Heartbeat>,
}

pub(super) fn start(dispatcher: Dispatcher, shutdown: CancellationToken) -> JoinHandle<()> {
    let rescheduled = Arc::new(Notify::new());
    let (outcomes, recorder) = recorder::spawn(
        dispatcher.sink.clone(),
        rescheduled.clone(),
        shutdown.clone(),
    );
    dispatcher.heartbeat.arm(dispatcher.ctx.clock.now());
    let heartbeat = dispatcher.heartbeat.clone();
    let pipeline = Arc::new(Pipeline {
        outcomes,
        shutdown,
        heartbeat,
    });
    tokio::spawn(async move {
        run(&dispatcher, pipeline, &rescheduled).await;
        // Every sender of the outcome queue is gone now; the recorder drains it and ends.
        if let Err(e) = recorder.await {
            tracing::error!(error = %e, "outcome recorder failed");
        }
        tracing::info!("dispatcher stopped");
    })
}

/// `rescheduled` is notified by the recorder when it committed a retry time.
async fn run(d: &Dispatcher, pipeline: Arc<Pipeline>, rescheduled: &Notify) {
    let shutdown = pipeline.shutdown.clone();
    let mut tasks = JoinSet::new();
    while !shutdown.is_cancelled() {
        while let Some(done) = tasks.try_join_next() {
            log_panic(done);
        }
        // Wait for capacity. Only the claim takes permits, so what is available now stays
        // available until the claimed deliveries take it.
        if d.global.available_permits() == 0 {
            tokio::select! {
                p = d.global.acquire() => drop(p),
                () = shutdown.cancelled() => break,
            }
        }
        // Arm every wake-up before querying, so a signal sent meanwhile is not lost.
        let signal = d.queue.work_signal();
        let mut work = std::pin::pin!(signal.notified());
        work.as_mut().enable();
        let mut freed = std::pin::pin!(d.limits.freed());
        freed.as_mut().enable();
        let mut retry = std::pin::pin!(rescheduled.notified());
        retry.as_mut().enable();

        let wait = match d.claim(d.ctx.clock.now()).await {
            Ok(pass) if !pass.taken.is_empty() => {
                tracing::trace!(count = pass.taken.len(), "claimed");
                for t in pass.taken {
                    let (ctx, pipeline) = (d.ctx.clone(), pipeline.clone());
                    tasks.spawn(async move {
                        let outcome = worker::deliver(
                            &ctx,
                            t.claimed,
                            t.slot,
                            &*ctx.clock,
                            &pipeline.shutdown,
                            true,
                        )
                        .await;
                        pipeline.heartbeat.beat(ctx.clock.now());
                        if pipeline.outcomes.send(outcome).await.is_err() {
                            tracing::error!(
                                "outcome recorder is gone; the delivery is retried when its lease expires"
                            );
                        }
                        // Held until the outcome is queued: a recorder that falls behind
                        // stops new claims.
                        drop(t.permit);
                    });
                }
                continue;
            }
            Ok(pass) => idle_wait(d, pass.saturated).await,
            Err(e) => {
                tracing::error!(error = %e, "claiming due deliveries failed");
                ERROR_BACKOFF
            }
        };
        tokio::select! {
            () = work => {}
            () = freed => {}
            () = retry => {}
            () = tokio::time::sleep(wait) => {}
            () = shutdown.cancelled() => break,
        }
    }
    tracing::debug!(
        in_flight = tasks.len(),
        "dispatcher stopping; waiting for in-flight deliveries"
    );
    while let Some(done) = tasks.join_next().await {
        log_panic(done);
    }
}

/// How long to sleep when the claim found nothing.
async fn idle_wait(d: &Dispatcher, saturated: bool) -> Duration {
    let next = match d.queue.next_due_at().await {
        Ok(next) => next,
        Err(e) => {
            tracing::error!(error = %e, "reading the next due time failed");
            return ERROR_BACKOFF;
        }
    };
    let now = d.ctx.clock.now();
    match next {
        None => MAX_IDLE,
        Some(at) if at > now => Duration::from_millis((at - now) as u64).min(MAX_IDLE),
        // Due but not claimed: held back by endpoint caps or application shares, or taken
        // by another claimer. (Deliveries held by their endpoint's delivery control are
        // not due yet: the store reports when they may be claimed.)
        Some(_) if saturated => SATURATED_RECHECK,
        Some(_) => RACE_RECHECK,
    }
}

fn log_panic(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        if e.is_panic() {
            tracing::error!(error = %e, "a delivery task panicked; the delivery is retried when its lease expires");
        }
    }
}
