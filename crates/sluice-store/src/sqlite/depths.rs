//! How much work the queue holds ([`Store::queue_depths`](crate::Store::queue_depths)) and
//! an endpoint's attempts by status, for metrics and the stats routes. Every count reads a
//! partial index that holds only the rows it counts, at most [`DEPTH_CAP`] entries of it.

use rusqlite::{params, Connection};
use sluice_core::ids;
use sluice_core::model::DeliveryStatus;

use super::db::{query_all, query_opt};
use super::next_due::next_due_at;
use super::queries::{attempt, delivery};
use crate::{QueueDepths, StoreResult, DEPTH_CAP};

/// Reads one count (a query without rows counts 0).
fn count(c: &Connection, sql: &crate::sql::Sql, p: impl rusqlite::Params) -> StoreResult<u64> {
    let n: Option<i64> = query_opt(c, sql, p, |r| r.get(0))?;
    Ok(n.unwrap_or(0).max(0) as u64)
}

/// See [`Store::queue_depths`](crate::Store::queue_depths). Runs on one read connection,
/// so the counts are of one snapshot.
pub(crate) fn queue_depths(c: &Connection, now: i64) -> StoreResult<QueueDepths> {
    let cap = DEPTH_CAP as i64;
    let (due, all_due): (i64, i64) = query_opt(c, &delivery::DEPTH_DUE, params![now, cap], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?
    .unwrap_or((0, 0));
    let later = count(c, &delivery::DEPTH_LATER, params![now, cap])?;
    let in_flight = count(c, &delivery::DEPTH_IN_FLIGHT, params![now])?;
    let dead_letters = count(c, &delivery::COUNT_DEAD, params![cap])?;
    let oldest_due_at = next_due_at(c)?.filter(|at| *at <= now);
    Ok(QueueDepths {
        due: due.max(0) as u64,
        held: (all_due - due).max(0) as u64,
        // The later entries are scheduled retries and running leases.
        scheduled: later.saturating_sub(in_flight),
        in_flight,
        dead_letters,
        oldest_due_at,
    })
}

/// Counts of `Success` and `Fail` (zeros included) over the endpoint's attempts made in
/// `[since, until)`.
pub(crate) fn attempt_stats(
    c: &Connection,
    endpoint_id: &str,
    since: i64,
    until: i64,
) -> StoreResult<Vec<(DeliveryStatus, u64)>> {
    let (lo, hi) = (
        ids::lower_bound(ids::ATTEMPT, since),
        ids::lower_bound(ids::ATTEMPT, until),
    );
    let mut out = [DeliveryStatus::Success, DeliveryStatus::Fail].map(|s| (s, 0u64));
    let rows = query_all(
        c,
        &attempt::COUNT_BY_STATUS,
        params![endpoint_id, since, until, lo, hi],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
    )?;
    for (status, n) in rows {
        if let Some(slot) = out.iter_mut().find(|(s, _)| *s as i64 == status) {
            slot.1 = n.max(0) as u64;
        }
    }
    Ok(out.to_vec())
}
