//! Retention: expired payloads are expunged, and old attempts and finished messages are
//! pruned, one bounded batch per writer job.
//!
//! Each batch is one job of the single writer, so ingest jobs queued behind it wait for one
//! batch at most, never for a whole pass; the caller (the maintenance loop, `sluice
//! prune`) yields between batches. Everything runs with `secure_delete` on, as a
//! user's expunge does (see [`super::expunge`]): a payload that expired, or a pruned
//! message's payload, is overwritten in the file, not only unlinked.

use rusqlite::{params, Connection};
use sluice_core::ids;

use super::db::{exec, query_all};
use super::expunge::{expunge_one, with_secure_delete};
use super::queries::{attempt, delivery, idempotency, message, message_tag};
use super::rows::opt_json_col;
use crate::{PrunedMessages, StoreResult};

/// Expunges up to `limit` messages whose payload expired at `now`; returns how many.
pub(crate) fn expire_payloads(c: &Connection, now: i64, limit: usize) -> StoreResult<u64> {
    let due: Vec<(String, String)> =
        query_all(c, &message::EXPIRED, params![now, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    with_secure_delete(c, |c| {
        for (id, app_id) in &due {
            expunge_one(c, app_id, id, now)?;
        }
        Ok(due.len() as u64)
    })
}

/// Deletes up to `limit` attempts made before `before`; returns how many.
pub(crate) fn prune_attempts(c: &Connection, before: i64, limit: usize) -> StoreResult<u64> {
    let bound = ids::lower_bound(ids::ATTEMPT, before);
    with_secure_delete(c, |c| {
        let n = exec(c, &attempt::PRUNE, params![bound, before, limit as i64])?;
        Ok(n as u64)
    })
}

/// Examines the next `limit` messages created before `before` after `after` and deletes
/// those whose deliveries are all finished and unchanged since `before`, with their
/// deliveries, attempts, tags and cached responses.
pub(crate) fn prune_messages(
    c: &Connection,
    before: i64,
    after: &str,
    limit: usize,
) -> StoreResult<PrunedMessages> {
    let bound = ids::lower_bound(ids::MESSAGE, before);
    type Row = (String, String, Option<Vec<String>>, bool);
    let window: Vec<Row> = query_all(
        c,
        &message::PRUNE_WINDOW,
        params![after, bound, before, limit as i64],
        |r| Ok((r.get(0)?, r.get(1)?, opt_json_col(r, 2)?, r.get(3)?)),
    )?;
    let mut out = PrunedMessages {
        next: (window.len() >= limit)
            .then(|| window.last().map(|w| w.0.clone()))
            .flatten(),
        ..PrunedMessages::default()
    };
    with_secure_delete(c, |c| {
        for (id, app_id, tags, prunable) in &window {
            if !prunable {
                continue;
            }
            out.deliveries += exec(c, &delivery::DELETE_OF_MESSAGE, [id])? as u64;
            out.attempts += exec(c, &attempt::DELETE_OF_MESSAGE, [id])? as u64;
            for tag in tags.iter().flatten() {
                exec(c, &message_tag::DELETE, params![app_id, tag, id])?;
            }
            exec(c, &idempotency::DELETE_OF_MESSAGE, [id])?;
            out.messages += exec(c, &message::DELETE, [id])? as u64;
        }
        Ok(out)
    })
}
