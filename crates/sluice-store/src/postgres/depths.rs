//! How much work the queue holds ([`Store::queue_depths`](crate::Store::queue_depths)) and
//! an endpoint's attempts by status, for metrics and the stats routes. Every count reads a
//! partial index that holds only the rows it counts (`delivery_due`, `delivery_sending`,
//! `delivery_endpoint_dead`), at most [`DEPTH_CAP`] entries of it.

use sluice_core::ids;
use sluice_core::model::DeliveryStatus;
use sluice_core::Millis;

use super::claim::next_due_at;
use super::db::query;
use super::queries::{attempt, delivery};
use super::rows::col;
use super::PgStore;
use crate::{QueueDepths, StoreResult, DEPTH_CAP};

/// A bound parameter.
type Param = dyn tokio_postgres::types::ToSql + Sync;

/// See [`Store::queue_depths`](crate::Store::queue_depths). The counts run pipelined on
/// one connection.
pub(super) async fn queue_depths(s: &PgStore, now: Millis) -> StoreResult<QueueDepths> {
    let cap = DEPTH_CAP as i64;
    let (due_rows, later, in_flight, dead, oldest) = {
        let c = s.client().await?;
        let now_cap: [&Param; 2] = [&now, &cap];
        let (now_only, cap_only): ([&Param; 1], [&Param; 1]) = ([&now], [&cap]);
        let counts = futures::try_join!(
            query(&c, &delivery::DEPTH_DUE, &now_cap),
            query(&c, &delivery::DEPTH_LATER, &now_cap),
            query(&c, &delivery::DEPTH_IN_FLIGHT, &now_only),
            query(&c, &delivery::COUNT_DEAD, &cap_only),
        )?;
        drop(c);
        let oldest = next_due_at(s).await?;
        (counts.0, counts.1, counts.2, counts.3, oldest)
    };
    let first = |rows: &[tokio_postgres::Row], i: usize| -> StoreResult<u64> {
        let n: i64 = match rows.first() {
            Some(r) => col(r, i)?,
            None => 0,
        };
        Ok(n.max(0) as u64)
    };
    let (due, all_due) = (first(&due_rows, 0)?, first(&due_rows, 1)?);
    let in_flight = first(&in_flight, 0)?;
    Ok(QueueDepths {
        due,
        held: all_due.saturating_sub(due),
        // The later entries are scheduled retries and running leases.
        scheduled: first(&later, 0)?.saturating_sub(in_flight),
        in_flight,
        dead_letters: first(&dead, 0)?,
        oldest_due_at: oldest.filter(|at| *at <= now),
    })
}

/// Counts of `Success` and `Fail` (zeros included) over the endpoint's attempts made in
/// `[since, until)`.
pub(super) async fn attempt_stats(
    s: &PgStore,
    endpoint_id: &str,
    since: Millis,
    until: Millis,
) -> StoreResult<Vec<(DeliveryStatus, u64)>> {
    let (lo, hi) = (
        ids::lower_bound(ids::ATTEMPT, since),
        ids::lower_bound(ids::ATTEMPT, until),
    );
    let c = s.client().await?;
    let rows = query(
        &c,
        &attempt::COUNT_BY_STATUS,
        &[&endpoint_id, &since, &until, &lo, &hi],
    )
    .await?;
    let mut out = [DeliveryStatus::Success, DeliveryStatus::Fail].map(|s| (s, 0u64));
    for r in rows {
        let (status, n): (i32, i64) = (col(&r, 0)?, col(&r, 1)?);
        if let Some(slot) = out.iter_mut().find(|(s, _)| *s as i64 == i64::from(status)) {
            slot.1 = n.max(0) as u64;
        }
    }
    Ok(out.to_vec())
}
