//! The queue role: the four operations the dispatcher needs, and nothing else of the store.
//!
//! The dispatcher holds an `Arc<dyn QueueStore>`, so a backend's queue can be understood,
//! tested and (for PostgreSQL) tuned on its own, and a worker cannot reach the management
//! operations by accident. Every [`Store`](crate::Store) is a `QueueStore`. The words it
//! speaks ([`ClaimRequest`], [`Claimed`], [`Outcome`]) live in `sluice_core::queue`.

use std::sync::Arc;

use async_trait::async_trait;
use sluice_core::queue::{ClaimRequest, Claimed, Outcome};
use sluice_core::Millis;

use crate::StoreResult;

/// Claim, record, next due time, wake-up: the delivery queue as the dispatcher sees it.
#[async_trait]
pub trait QueueStore: Send + Sync + 'static {
    /// Leases due deliveries (pending and due, or sending with an expired lease) of enabled
    /// endpoints, oldest due first, respecting the per-endpoint and per-application bounds
    /// and exclusions. Each comes with its message and endpoint, so sending it needs no
    /// further read.
    async fn claim_due(&self, req: ClaimRequest) -> StoreResult<Vec<Claimed>>;
    /// Applies outcomes in one transaction. An outcome whose lease no longer matches still
    /// records its attempt (the try happened) but leaves the delivery alone.
    async fn record_outcomes(&self, outcomes: Vec<Outcome>) -> StoreResult<()>;
    /// The earliest `next_attempt_at` of any pending or sending delivery of an enabled endpoint.
    async fn next_due_at(&self) -> StoreResult<Option<Millis>>;
    /// Signalled after a commit that created due work (new deliveries, resend, recover,
    /// re-enabled endpoint), so the dispatcher need not poll.
    fn work_signal(&self) -> Arc<tokio::sync::Notify>;
}
