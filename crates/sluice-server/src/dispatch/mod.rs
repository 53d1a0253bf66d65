//! The dispatcher: claim due deliveries with a lease → sign and send each one outside any
//! transaction → record one attempt per try and the delivery's next state.
//!
//! # Parts
//! - this module: [`Dispatcher`], the claim that both ways of driving it share, and
//!   [`Dispatcher::step`].
//! - [`run`]: the background loop ([`spawn`]): the same claim, driven by the store's wake
//!   signal and the injected clock.
//! - [`limits`]: per-endpoint concurrency and per-application shares (claim exclusions and
//!   send slots).
//! - [`worker`]: one claimed delivery, from its send slot to its outcome.
//! - [`send`]: request building, signing, bounded response reading; [`forwarded`]: the
//!   names of a provider's signature headers on a forward.
//! - [`client`] / [`guard`]: the HTTP client and its private-network policy (invariant 7).
//! - [`decide`]: what a try means for the delivery (pure).
//! - [`recorder`]: batched `record_outcomes`, then the operational events, logs and metrics
//!   of what was committed.
//!
//! Delivery control (throttle, `Retry-After` pause, circuit breaker, auto-disable) is the
//! store's: the claim leaves out what an endpoint's state holds and reserves throttled send
//! times (`Claimed::not_before`, which the worker waits for); `record_outcomes` advances the
//! state and reports the transitions (see `sluice_core::control`).
//!
//! The dispatcher sees the store only as a [`QueueStore`]; the words it speaks with it are
//! in [`sluice_core::queue`].
//!
//! # Two ways to drive it
//! [`spawn`] runs the loop in the background, pipelined: it claims again while earlier
//! claims are still sending, and a recorder task commits outcomes in batches.
//! [`Dispatcher::step`] does one pass at a given `now` and returns when its outcomes are
//! committed, so a test moves time by hours and sees each retry happen exactly when due.
//!
//! # Bounds
//! At most `max_in_flight` claims are held in this process (a global semaphore), at most
//! `max_in_flight_per_app` of them for one application, and at most `endpoint_concurrency`
//! sends run per endpoint; nothing beyond the claimed batch is held in memory.

mod client;
mod decide;
mod forwarded;
mod guard;
mod limits;
mod recorder;
mod run;
mod send;
mod worker;

use std::sync::Arc;

use sluice_core::clock::{Clock, ManualClock};
use sluice_core::queue::{ClaimRequest, Claimed, DeliveryNext};
use sluice_core::secretbox::SecretBox;
use sluice_core::Millis;
use sluice_store::{QueueStore, StoreResult};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

pub use self::run::spawn;

use self::guard::AddressPolicy;
use self::limits::{Limits, Slot};
use self::send::Sender;
use self::worker::Ctx;
use crate::config::Config;
use crate::events::EventSink;
use crate::state::AppState;
use crate::telemetry::Heartbeat;

/// Most deliveries per claim.
const CLAIM_BATCH: usize = 256;

/// Claims, sends and records deliveries. Drive it with [`Dispatcher::step`], or hand it to
/// the background loop with [`Dispatcher::spawn`].
pub struct Dispatcher {
    queue: Arc<dyn QueueStore>,
    sink: Arc<recorder::Sink>,
    ctx: Arc<Ctx>,
    global: Arc<Semaphore>,
    limits: Arc<Limits>,
    max_in_flight: usize,
    lease_ms: Millis,
    /// Beaten after every completed claim pass (health reads it).
    heartbeat: Arc<Heartbeat>,
}

/// What one [`Dispatcher::step`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepReport {
    /// Deliveries claimed (and tried).
    pub claimed: usize,
    /// Tries that delivered.
    pub delivered: usize,
    /// Tries that failed and were scheduled again.
    pub retrying: usize,
    /// Tries that failed with no tries left in their round (dead-lettered).
    pub failed: usize,
}

/// One claimed delivery with the capacity it holds: a global in-flight permit (until its
/// outcome is handed on) and its place at its endpoint and application.
struct Taken {
    claimed: Claimed,
    permit: OwnedSemaphorePermit,
    slot: Slot,
}

/// The result of one claim.
struct Pass {
    taken: Vec<Taken>,
    /// Some due work may have been held back by an endpoint cap or application share.
    saturated: bool,
}

impl Dispatcher {
    /// A dispatcher over `queue`, configured by `config`, opening endpoint secrets with
    /// `secrets`, reading time from `clock` when it runs in the background, and reporting
    /// operational events (attempt failing/exhausted/recovered/auth failed, circuit
    /// opened/closed, endpoint disabled) to `events` once their outcomes are committed.
    ///
    /// # Panics
    /// If the HTTP client cannot be built (the TLS backend failed to initialise).
    pub fn new(
        queue: Arc<dyn QueueStore>,
        config: &Config,
        secrets: SecretBox,
        clock: Arc<dyn Clock>,
        events: Arc<dyn EventSink>,
    ) -> Self {
        let policy = Arc::new(AddressPolicy::new(config.allowed_networks.clone()));
        let client =
            client::build(config, policy.clone()).expect("the delivery HTTP client must build");
        let sender = Sender::new(
            client,
            policy,
            secrets,
            config.signature_headers,
            config.max_response_bytes,
            config.timeout(),
        );
        let ctx = Arc::new(Ctx {
            sender,
            schedule: config.schedule(),
            clock,
        });
        let timeout_ms = Millis::try_from(config.timeout().as_millis()).unwrap_or(Millis::MAX / 4);
        let sink = Arc::new(recorder::Sink {
            store: queue.clone(),
            policy: config.control_policy(),
            events,
        });
        Self {
            queue,
            sink,
            ctx,
            global: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            limits: Limits::new(config.endpoint_concurrency, config.app_share()),
            max_in_flight: config.max_in_flight.max(1),
            // A claim queued behind its endpoint's senders must not expire before its turn.
            lease_ms: 2 * timeout_ms + 30_000,
            heartbeat: Arc::default(),
        }
    }

    /// Beats `heartbeat` on progress instead of a heartbeat of its own.
    pub fn with_heartbeat(mut self, heartbeat: Arc<Heartbeat>) -> Self {
        self.heartbeat = heartbeat;
        self
    }

    /// The dispatcher of a server: its store (as a queue), config, secrets and clock.
    pub fn of_state(state: &AppState) -> Self {
        Self::new(
            state.store.clone(),
            &state.config,
            state.secrets.clone(),
            state.clock.clone(),
            state.events.clone(),
        )
        .with_heartbeat(state.heartbeat.clone())
    }

    /// How long a claim is leased: a delivery claimed at `t` whose outcome is never recorded
    /// (its process died) is due again at `t + lease_ms()`.
    pub fn lease_ms(&self) -> Millis {
        self.lease_ms
    }

    /// Runs the dispatcher in the background until `shutdown` (see [`spawn`]).
    pub fn spawn(self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        run::start(self, shutdown)
    }

    /// One pass at `now`: claims what is due at `now` (within the same bounds as the
    /// background loop), makes one try of each at `now`, and returns once their outcomes
    /// are committed and their events emitted. Retry times are computed from `now`, so
    /// stepping to the next due time replays the schedule without waiting for it. A
    /// throttled endpoint's deliveries are sent at once too (the clock stands still); the
    /// claim still reserves their send times 1/rate apart and takes no more than the rate
    /// allows within its horizon.
    pub async fn step(&self, now: Millis) -> StoreResult<StepReport> {
        let pass = self.claim(now).await?;
        let at = ManualClock::at(now);
        // No shutdown here: dropping the step's future abandons its tries (as a process that
        // dies mid-send would), and their leases bring the deliveries back.
        let running = CancellationToken::new();
        let tries = pass.taken.into_iter().map(|t| {
            let (ctx, at, running) = (&self.ctx, &at, &running);
            async move {
                let finished = worker::deliver(ctx, t.claimed, t.slot, at, running, false).await;
                (finished, t.permit)
            }
        });
        let (outcomes, permits): (Vec<_>, Vec<_>) =
            futures::future::join_all(tries).await.into_iter().unzip();
        let mut report = StepReport {
            claimed: outcomes.len(),
            ..StepReport::default()
        };
        for f in &outcomes {
            match f.outcome.next {
                DeliveryNext::Succeeded => report.delivered += 1,
                DeliveryNext::RetryAt(_) => report.retrying += 1,
                DeliveryNext::Failed => report.failed += 1,
            }
        }
        recorder::record(&self.sink, outcomes, &running).await;
        drop(permits);
        Ok(report)
    }

    /// Claims what is due at `now` within the free capacity, and takes a permit and a slot
    /// for each claimed delivery. The only place claims are made, for both ways of driving.
    async fn claim(&self, now: Millis) -> StoreResult<Pass> {
        let free = self.global.available_permits();
        let spare = free * 2 > self.max_in_flight;
        let exclusions = self.limits.exclusions(spare);
        let saturated = exclusions.any();
        let req = ClaimRequest {
            now,
            lease_ms: self.lease_ms,
            limit: free.min(CLAIM_BATCH),
            per_endpoint: self.limits.cap(),
            exclude_endpoints: exclusions.endpoints,
            per_app: self.limits.app_share(),
            app_room: exclusions.app_room,
        };
        let batch = self.queue.claim_due(req).await?;
        self.heartbeat.beat(now);
        let taken = batch
            .into_iter()
            .map(|claimed| {
                // Only the claim takes permits, and it asked for at most the free ones.
                let permit = self
                    .global
                    .clone()
                    .try_acquire_owned()
                    .expect("permits were available");
                let d = &claimed.delivery;
                let slot = self.limits.assign(&d.endpoint_id, &d.app_id);
                Taken {
                    claimed,
                    permit,
                    slot,
                }
            })
            .collect();
        Ok(Pass { taken, saturated })
    }
}
