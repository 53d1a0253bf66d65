//! `impl QueueStore for SqliteStore`: claims go through the writer (they update rows), the
//! next due time is a read. The SQL is in [`claim`](super::claim) and
//! [`outcomes`](super::outcomes).

use std::sync::Arc;

use async_trait::async_trait;
use sluice_core::control::ControlPolicy;
use sluice_core::queue::{ClaimRequest, Claimed, Outcome, Recorded};
use sluice_core::Millis;

use super::writer::Tally;
use super::{claim, control, next_due, outcomes, SqliteStore};
use crate::commits::Op;
use crate::{QueueStore, StoreResult};

#[async_trait]
impl QueueStore for SqliteStore {
    async fn claim_due(&self, req: ClaimRequest) -> StoreResult<Vec<Claimed>> {
        let tally: Tally<Vec<Claimed>> = Some((Op::Claim, Vec::len));
        self.write_tallied(tally, move |c| Ok((claim::claim_due(c, &req)?, false)))
            .await
    }

    async fn record_outcomes_under(
        &self,
        outcomes: Vec<Outcome>,
        policy: ControlPolicy,
    ) -> StoreResult<Recorded> {
        if outcomes.is_empty() {
            return Ok(Recorded::default());
        }
        // A retry due no later than its try (a zero delay) is new due work: wake.
        let n = outcomes.len();
        let tally: Tally<(usize, Recorded)> = Some((Op::Outcomes, |(n, _)| *n));
        self.write_tallied(tally, move |c| {
            let (wake, recorded) = outcomes::record_outcomes(c, &outcomes, &policy)?;
            Ok(((n, recorded), wake))
        })
        .await
        .map(|(_, recorded)| recorded)
    }

    async fn open_circuits(&self) -> StoreResult<u64> {
        self.read(control::open_circuits).await
    }

    async fn next_due_at(&self) -> StoreResult<Option<Millis>> {
        self.read(next_due::next_due_at).await
    }

    fn work_signal(&self) -> Arc<tokio::sync::Notify> {
        self.work.clone()
    }
}
