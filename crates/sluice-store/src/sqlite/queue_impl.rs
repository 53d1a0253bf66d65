//! `impl QueueStore for SqliteStore`: claims go through the writer (they update rows), the
//! next due time is a read. The SQL is in [`claim`](super::claim) and
//! [`outcomes`](super::outcomes).

use std::sync::Arc;

use async_trait::async_trait;
use sluice_core::queue::{ClaimRequest, Claimed, Outcome};
use sluice_core::Millis;

use super::writer::Tally;
use super::{claim, outcomes, SqliteStore};
use crate::commits::Op;
use crate::{QueueStore, StoreResult};

#[async_trait]
impl QueueStore for SqliteStore {
    async fn claim_due(&self, req: ClaimRequest) -> StoreResult<Vec<Claimed>> {
        let tally: Tally<Vec<Claimed>> = Some((Op::Claim, Vec::len));
        self.write_tallied(tally, move |c| Ok((claim::claim_due(c, &req)?, false)))
            .await
    }

    async fn record_outcomes(&self, outcomes: Vec<Outcome>) -> StoreResult<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        // A retry due no later than its try (a zero delay) is new due work: wake.
        let n = outcomes.len();
        let tally: Tally<usize> = Some((Op::Outcomes, |n| *n));
        self.write_tallied(tally, move |c| {
            Ok((n, outcomes::record_outcomes(c, &outcomes)?))
        })
        .await
        .map(drop)
    }

    async fn next_due_at(&self) -> StoreResult<Option<Millis>> {
        self.read(claim::next_due_at).await
    }

    fn work_signal(&self) -> Arc<tokio::sync::Notify> {
        self.work.clone()
    }
}
