//! The dispatcher: claim due deliveries with a lease → sign and send each one outside any
//! transaction → record one attempt per try and the delivery's next state.
//!
//! # Parts
//! - this module: [`spawn`] and the claim loop.
//! - [`limits`]: per-endpoint concurrency (claim exclusions and send slots).
//! - [`worker`]: one claimed delivery, from its send slot to its queued outcome.
//! - [`send`]: request building, signing, bounded response reading; [`forwarded`]: the
//!   names of a provider's signature headers on a forward.
//! - [`client`] / [`guard`]: the HTTP client and its private-network policy (invariant 7).
//! - [`decide`]: what a try means for the delivery (pure).
//! - [`recorder`]: batched `record_outcomes`.
//!
//! # Bounds
//! At most `max_in_flight` claims are held in this process (a global semaphore), at most
//! `max_in_flight_per_app` of them for one application, and at most `endpoint_concurrency`
//! sends run per endpoint; nothing beyond the claimed batch is held in memory. The loop
//! sleeps on the store's work signal, a freed endpoint slot or application share, a retry
//! time just committed by the recorder, or the next due time (capped at [`MAX_IDLE`], which
//! also picks up expired leases and other writers).

mod client;
mod decide;
mod forwarded;
mod guard;
mod limits;
mod recorder;
mod send;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use sluice_core::{now_millis, Millis};
use sluice_store::{ClaimRequest, Store};
use tokio::sync::{Notify, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use self::guard::AddressPolicy;
use self::limits::Limits;
use self::send::Sender;
use self::worker::Ctx;
use crate::state::AppState;

/// Most deliveries per claim.
const CLAIM_BATCH: usize = 256;
/// Longest sleep without looking at the store.
const MAX_IDLE: Duration = Duration::from_secs(1);
/// Sleep when work is due but all of it belongs to endpoints at their cap (a freed slot
/// wakes the loop earlier).
const SATURATED_RECHECK: Duration = Duration::from_millis(250);
/// Sleep when work is due but the claim returned none (a race with another claimer).
const RACE_RECHECK: Duration = Duration::from_millis(20);
/// Pause after a store error.
const ERROR_BACKOFF: Duration = Duration::from_secs(1);

/// Starts the dispatcher. On `shutdown` it stops claiming, lets in-flight sends finish
/// (bounded by the request timeout), records their outcomes and returns.
///
/// # Panics
/// If the HTTP client cannot be built (the TLS backend failed to initialise).
pub fn spawn(state: AppState, shutdown: CancellationToken) -> JoinHandle<()> {
    let config = &state.config;
    let policy = Arc::new(AddressPolicy::new(config.allowed_networks.clone()));
    let client =
        client::build(config, policy.clone()).expect("the delivery HTTP client must build");
    let sender = Sender::new(
        client,
        policy,
        state.secrets.clone(),
        config.signature_headers,
        config.max_response_bytes,
        config.timeout(),
    );
    let rescheduled = Arc::new(Notify::new());
    let (outcomes, recorder) =
        recorder::spawn(state.store.clone(), rescheduled.clone(), shutdown.clone());
    let ctx = Arc::new(Ctx {
        sender,
        schedule: config.schedule(),
        outcomes,
        shutdown: shutdown.clone(),
    });
    let timeout_ms = Millis::try_from(config.timeout().as_millis()).unwrap_or(Millis::MAX / 4);
    let dispatcher = Dispatcher {
        store: state.store.clone(),
        ctx,
        global: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
        limits: Limits::new(config.endpoint_concurrency, config.app_share()),
        max_in_flight: config.max_in_flight.max(1),
        lease_ms: 2 * timeout_ms + 30_000,
        rescheduled,
        shutdown,
    };
    tokio::spawn(async move {
        dispatcher.run().await;
        // Every sender of the outcome queue is gone now; the recorder drains it and ends.
        if let Err(e) = recorder.await {
            tracing::error!(error = %e, "outcome recorder failed");
        }
        tracing::info!("dispatcher stopped");
    })
}

struct Dispatcher {
    store: Arc<dyn Store>,
    ctx: Arc<Ctx>,
    global: Arc<Semaphore>,
    limits: Arc<Limits>,
    max_in_flight: usize,
    lease_ms: Millis,
    /// Notified by the recorder when it committed a retry time.
    rescheduled: Arc<Notify>,
    shutdown: CancellationToken,
}

impl Dispatcher {
    async fn run(self) {
        let mut tasks = JoinSet::new();
        while !self.shutdown.is_cancelled() {
            while let Some(done) = tasks.try_join_next() {
                log_panic(done);
            }
            // Wait for capacity. Only this loop takes permits, so what is available now
            // stays available until the claimed deliveries take it below.
            if self.global.available_permits() == 0 {
                tokio::select! {
                    p = self.global.acquire() => drop(p),
                    () = self.shutdown.cancelled() => break,
                }
            }
            // Arm both wake-ups before querying, so a signal sent meanwhile is not lost.
            let signal = self.store.work_signal();
            let mut work = std::pin::pin!(signal.notified());
            work.as_mut().enable();
            let mut freed = std::pin::pin!(self.limits.freed());
            freed.as_mut().enable();
            let mut rescheduled = std::pin::pin!(self.rescheduled.notified());
            rescheduled.as_mut().enable();

            let spare = self.global.available_permits() * 2 > self.max_in_flight;
            let exclusions = self.limits.exclusions(spare);
            let saturated = exclusions.any();
            let req = ClaimRequest {
                now: now_millis(),
                lease_ms: self.lease_ms,
                limit: self.global.available_permits().min(CLAIM_BATCH),
                per_endpoint: self.limits.cap(),
                exclude_endpoints: exclusions.endpoints,
                per_app: self.limits.app_share(),
                app_room: exclusions.app_room,
            };
            let wait = match self.store.claim_due(req).await {
                Ok(batch) if !batch.is_empty() => {
                    tracing::trace!(count = batch.len(), "claimed");
                    for claimed in batch {
                        let permit = self
                            .global
                            .clone()
                            .try_acquire_owned()
                            .expect("permits were available");
                        let d = &claimed.delivery;
                        let slot = self.limits.assign(&d.endpoint_id, &d.app_id);
                        tasks.spawn(worker::deliver(self.ctx.clone(), claimed, permit, slot));
                    }
                    continue;
                }
                Ok(_) => self.idle_wait(saturated).await,
                Err(e) => {
                    tracing::error!(error = %e, "claiming due deliveries failed");
                    ERROR_BACKOFF
                }
            };
            tokio::select! {
                () = work => {}
                () = freed => {}
                () = rescheduled => {}
                () = tokio::time::sleep(wait) => {}
                () = self.shutdown.cancelled() => break,
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
    async fn idle_wait(&self, saturated: bool) -> Duration {
        let next = match self.store.next_due_at().await {
            Ok(next) => next,
            Err(e) => {
                tracing::error!(error = %e, "reading the next due time failed");
                return ERROR_BACKOFF;
            }
        };
        let now = now_millis();
        match next {
            None => MAX_IDLE,
            Some(at) if at > now => Duration::from_millis((at - now) as u64).min(MAX_IDLE),
            // Due but not claimed: held back by endpoint caps or application shares, or taken
            // by another claimer.
            Some(_) if saturated => SATURATED_RECHECK,
            Some(_) => RACE_RECHECK,
        }
    }
}

fn log_panic(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        if e.is_panic() {
            tracing::error!(error = %e, "a delivery task panicked; the delivery is retried when its lease expires");
        }
    }
}
