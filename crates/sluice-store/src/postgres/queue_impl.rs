//! `impl QueueStore for PgStore`. The SQL is in [`claim`](super::claim) and
//! [`outcomes`](super::outcomes).

use std::sync::Arc;

use async_trait::async_trait;
use sluice_core::queue::{ClaimRequest, Claimed, Outcome};
use sluice_core::Millis;

use super::{claim, outcomes, PgStore};
use crate::{QueueStore, StoreResult};

#[async_trait]
impl QueueStore for PgStore {
    async fn claim_due(&self, req: ClaimRequest) -> StoreResult<Vec<Claimed>> {
        claim::claim_due(self, req).await
    }

    async fn record_outcomes(&self, outcomes: Vec<Outcome>) -> StoreResult<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        outcomes::record_outcomes(self, outcomes).await
    }

    async fn next_due_at(&self) -> StoreResult<Option<Millis>> {
        claim::next_due_at(self).await
    }

    fn work_signal(&self) -> Arc<tokio::sync::Notify> {
        self.work.clone()
    }
}
