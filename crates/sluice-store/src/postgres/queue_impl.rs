//! `impl QueueStore for PgStore`. The SQL is in [`claim`](super::claim) and
//! [`outcomes`](super::outcomes).

use std::sync::Arc;

use async_trait::async_trait;
use sluice_core::control::ControlPolicy;
use sluice_core::queue::{ClaimRequest, Claimed, Outcome, Recorded};
use sluice_core::Millis;

use super::db::query_opt;
use super::queries::endpoint_state;
use super::rows::col;
use super::{claim, outcomes, PgStore};
use crate::{QueueStore, StoreResult};

#[async_trait]
impl QueueStore for PgStore {
    async fn claim_due(&self, req: ClaimRequest) -> StoreResult<Vec<Claimed>> {
        claim::claim_due(self, req).await
    }

    async fn record_outcomes_under(
        &self,
        outcomes: Vec<Outcome>,
        policy: ControlPolicy,
    ) -> StoreResult<Recorded> {
        if outcomes.is_empty() {
            return Ok(Recorded::default());
        }
        outcomes::record_outcomes(self, outcomes, &policy).await
    }

    async fn open_circuits(&self) -> StoreResult<u64> {
        let c = self.client().await?;
        let n: i64 = match query_opt(&c, &endpoint_state::COUNT_OPEN, &[]).await? {
            Some(r) => col(&r, 0)?,
            None => 0,
        };
        Ok(n.max(0) as u64)
    }

    async fn next_due_at(&self) -> StoreResult<Option<Millis>> {
        claim::next_due_at(self).await
    }

    fn work_signal(&self) -> Arc<tokio::sync::Notify> {
        self.work.clone()
    }
}
