//! Cached responses for `idempotency-key`s.

use rusqlite::{params, Connection, OptionalExtension};

use super::rows::backend;
use crate::{CachedResponse, StoreResult};

pub(crate) fn get(c: &Connection, key: &str) -> StoreResult<Option<CachedResponse>> {
    c.prepare_cached("SELECT status, body, msg_id FROM idempotency WHERE key = ?1")
        .map_err(backend)?
        .query_row([key], |r| {
            let status: i64 = r.get(0)?;
            let status = u16::try_from(status)
                .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, status))?;
            Ok(CachedResponse {
                status,
                body: r.get(1)?,
                msg_id: r.get(2)?,
            })
        })
        .optional()
        .map_err(backend)
}

/// Stores the response unless the key already has one: the first writer wins, so every
/// retry of a request gets the response of the first.
pub(crate) fn put(c: &Connection, key: &str, resp: &CachedResponse, now: i64) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT OR IGNORE INTO idempotency (key, status, body, created_at, msg_id) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .map_err(backend)?
    .execute(params![key, resp.status, resp.body, now, resp.msg_id])
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn purge(c: &Connection, before: i64) -> StoreResult<u64> {
    let n = c
        .prepare_cached("DELETE FROM idempotency WHERE created_at < ?1")
        .map_err(backend)?
        .execute([before])
        .map_err(backend)?;
    Ok(n as u64)
}
