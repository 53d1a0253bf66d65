//! The queue role: the four operations the dispatcher needs, and nothing else of the store.
//!
//! The dispatcher holds an `Arc<dyn QueueStore>`, so a backend's queue can be understood,
//! tested and (for PostgreSQL) tuned on its own, and a worker cannot reach the management
//! operations by accident. Every [`Store`](crate::Store) is a `QueueStore`. The words it
//! speaks ([`ClaimRequest`], [`Claimed`], [`Outcome`]) live in `sluice_core::queue`.

use std::sync::Arc;

use async_trait::async_trait;
use sluice_core::control::ControlPolicy;
use sluice_core::queue::{ClaimRequest, Claimed, Outcome, Recorded};
use sluice_core::Millis;

use crate::StoreResult;

/// Claim, record, next due time, wake-up: the delivery queue as the dispatcher sees it.
#[async_trait]
pub trait QueueStore: Send + Sync + 'static {
    /// Leases due deliveries (pending and due, or sending with an expired lease) of enabled
    /// endpoints, oldest due first, respecting the per-endpoint and per-application bounds
    /// and exclusions, and each endpoint's delivery control (`sluice_core::control`): an
    /// endpoint whose circuit is open or that is paused by a `Retry-After` gets nothing, an
    /// open circuit whose cool-down is over gets exactly one probe (then half-open), and a
    /// throttled endpoint (its `throttle_rate`, else its application's) gets at most what
    /// its rate allows within the next [`HORIZON_MS`](sluice_core::control::HORIZON_MS),
    /// each delivery with a `not_before` `1/rate` after the previous one (across all
    /// claimers of the store). The lease runs from `not_before`. Each comes with its
    /// message and endpoint, so sending it needs no further read.
    async fn claim_due(&self, req: ClaimRequest) -> StoreResult<Vec<Claimed>>;
    /// Applies outcomes in one transaction, with their endpoints' delivery control under
    /// `policy`: consecutive failures open the circuit, a success closes it, a throttled
    /// answer pauses the endpoint for its `Retry-After`, an endpoint that answered 410 or
    /// has failed without a success for `policy.disable_after_ms` is disabled. An outcome
    /// whose lease no longer matches still records its attempt (the try happened, and it
    /// counts for the endpoint) but leaves the delivery alone. Returns the endpoint
    /// changes (circuits opened or closed, endpoints disabled), each reported once.
    async fn record_outcomes_under(
        &self,
        outcomes: Vec<Outcome>,
        policy: ControlPolicy,
    ) -> StoreResult<Recorded>;
    /// [`QueueStore::record_outcomes_under`] the default policy.
    async fn record_outcomes(&self, outcomes: Vec<Outcome>) -> StoreResult<Recorded> {
        self.record_outcomes_under(outcomes, ControlPolicy::default())
            .await
    }
    /// The earliest time a pending or sending delivery of an enabled endpoint may be
    /// claimed: its `next_attempt_at`, or later while its endpoint's delivery control holds
    /// it (open circuit, pause, throttle), so an idle dispatcher sleeps until then.
    async fn next_due_at(&self) -> StoreResult<Option<Millis>>;
    /// How many endpoints have a circuit that is not closed (open or half-open).
    async fn open_circuits(&self) -> StoreResult<u64>;
    /// Signalled after a commit that created due work (new deliveries, resend, recover,
    /// re-enabled endpoint), so the dispatcher need not poll.
    fn work_signal(&self) -> Arc<tokio::sync::Notify>;
}
