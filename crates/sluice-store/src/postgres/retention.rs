//! Retention: expired payloads are expunged, and old attempts and finished messages are
//! pruned, one bounded batch per transaction (set-based statements, so a batch of hundreds
//! is a handful of round trips). Rows are only locked for the length of one batch, and the
//! expiry skips rows another node holds, so ingest and the dispatcher never wait behind a
//! pass. As with a user's expunge (see [`super::expunge`]), the old row versions are
//! reclaimed by (auto)vacuum, not at once.

use sluice_core::{ids, Millis};

use super::db::{exec, query};
use super::errors::pg;
use super::queries::{attempt, delivery, idempotency, message, message_tag};
use super::rows::{col, opt_json_col};
use super::PgStore;
use crate::{PrunedMessages, StoreResult};

/// Expunges up to `limit` messages whose payload expired at `now`; returns how many.
pub(super) async fn expire_payloads(s: &PgStore, now: Millis, limit: usize) -> StoreResult<u64> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let rows = query(&tx, &message::EXPIRE, &[&now, &(limit as i64)]).await?;
    let ids: Vec<String> = rows.iter().map(|r| col(r, 0)).collect::<Result<_, _>>()?;
    if !ids.is_empty() {
        exec(&tx, &delivery::FAIL_WAITING_OF_MESSAGES, &[&ids, &now]).await?;
        exec(&tx, &idempotency::DELETE_OF_MESSAGES, &[&ids]).await?;
    }
    tx.commit().await.map_err(pg)?;
    Ok(ids.len() as u64)
}

/// Deletes up to `limit` attempts made before `before`; returns how many.
pub(super) async fn prune_attempts(s: &PgStore, before: Millis, limit: usize) -> StoreResult<u64> {
    let bound = ids::lower_bound(ids::ATTEMPT, before);
    let c = s.client().await?;
    exec(&c, &attempt::PRUNE, &[&bound, &before, &(limit as i64)]).await
}

/// Examines the next `limit` messages created before `before` after `after` and deletes
/// those whose deliveries are all finished and unchanged since `before`, with their
/// deliveries, attempts, tags and cached responses.
pub(super) async fn prune_messages(
    s: &PgStore,
    before: Millis,
    after: &str,
    limit: usize,
) -> StoreResult<PrunedMessages> {
    let bound = ids::lower_bound(ids::MESSAGE, before);
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let window = query(
        &tx,
        &message::PRUNE_WINDOW,
        &[&after, &bound, &before, &(limit as i64)],
    )
    .await?;
    let mut out = PrunedMessages::default();
    if window.len() >= limit {
        out.next = window.last().map(|r| col(r, 0)).transpose()?;
    }
    let mut candidates = Vec::new();
    for r in &window {
        if col::<bool>(r, 1)? {
            candidates.push(col::<String>(r, 0)?);
        }
    }
    if candidates.is_empty() {
        tx.commit().await.map_err(pg)?;
        return Ok(out);
    }
    let gone = query(&tx, &message::PRUNE, &[&candidates, &before]).await?;
    let (mut ids, mut tag_apps, mut tags, mut tag_msgs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in &gone {
        let (id, app): (String, String) = (col(r, 0)?, col(r, 1)?);
        for tag in opt_json_col::<Vec<String>>(r, 2)?.unwrap_or_default() {
            tag_apps.push(app.clone());
            tags.push(tag);
            tag_msgs.push(id.clone());
        }
        ids.push(id);
    }
    out.messages = ids.len() as u64;
    if !ids.is_empty() {
        out.deliveries = exec(&tx, &delivery::DELETE_OF_MESSAGES, &[&ids]).await?;
        out.attempts = exec(&tx, &attempt::DELETE_OF_MESSAGES, &[&ids]).await?;
        exec(
            &tx,
            &message_tag::DELETE_OF_MESSAGES,
            &[&tag_apps, &tags, &tag_msgs],
        )
        .await?;
        exec(&tx, &idempotency::DELETE_OF_MESSAGES, &[&ids]).await?;
    }
    tx.commit().await.map_err(pg)?;
    Ok(out)
}
