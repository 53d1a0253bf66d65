//! Idempotency keys: claims with a lease and a fencing token, then the stored response
//! (see [`crate::IdempotencyBegin`] and migration 0006 for the row's two states).
//!
//! A replay or a live claim is answered by [`peek`] on a reader; only a key that is free
//! costs a write, [`begin`]'s single upsert, which the writer's one-at-a-time jobs make the
//! arbiter: of two concurrent callers exactly one inserts or takes over the row.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::rows::backend;
use crate::{CachedResponse, IdempotencyBegin, StoreResult};

/// The row of `key` as `begin` reports it: a stored response, or a claim live at `now`.
/// `None` when the key is free (absent, abandoned or expired).
pub(crate) fn peek(c: &Connection, key: &str, now: i64) -> StoreResult<Option<IdempotencyBegin>> {
    c.prepare_cached("SELECT status, body, lease_until, msg_id FROM idempotency WHERE key = ?1")
        .map_err(backend)?
        .query_row([key], |r| state_at(r, now))
        .optional()
        .map_err(backend)
        .map(Option::flatten)
}

/// Claims `key` unless it holds a response or a live claim.
pub(crate) fn begin(
    c: &Connection,
    key: &str,
    now: i64,
    lease_ms: i64,
) -> StoreResult<IdempotencyBegin> {
    let until = now.saturating_add(lease_ms);
    // Insert a new claim, or take over one that is free; the token grows on every claim of
    // the key, so a holder that lost its claim cannot end the next one.
    let token: Option<i64> = c
        .prepare_cached(
            "INSERT INTO idempotency (key, token, lease_until, created_at) \
             VALUES (?1, 1, ?3, ?2) \
             ON CONFLICT (key) DO UPDATE SET token = idempotency.token + 1, \
             lease_until = excluded.lease_until \
             WHERE idempotency.status IS NULL AND idempotency.lease_until <= ?2 \
             RETURNING token",
        )
        .map_err(backend)?
        .query_row(params![key, now, until], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    if let Some(token) = token {
        return Ok(IdempotencyBegin::Run { token });
    }
    // Not free: a response or a live claim, which `peek` tells apart.
    Ok(peek(c, key, now)?.unwrap_or(IdempotencyBegin::InFlight))
}

fn state_at(r: &Row<'_>, now: i64) -> rusqlite::Result<Option<IdempotencyBegin>> {
    let status: Option<i64> = r.get(0)?;
    if let Some(status) = status {
        let status = u16::try_from(status)
            .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, status))?;
        return Ok(Some(IdempotencyBegin::Replay(CachedResponse {
            status,
            body: r.get(1)?,
            msg_id: r.get(3)?,
        })));
    }
    let lease_until: Option<i64> = r.get(2)?;
    Ok(lease_until
        .is_some_and(|until| until > now)
        .then_some(IdempotencyBegin::InFlight))
}

pub(crate) fn renew(
    c: &Connection,
    key: &str,
    token: i64,
    now: i64,
    lease_ms: i64,
) -> StoreResult<bool> {
    let n = c
        .prepare_cached(
            "UPDATE idempotency SET lease_until = ?3 \
             WHERE key = ?1 AND token = ?2 AND status IS NULL",
        )
        .map_err(backend)?
        .execute(params![key, token, now.saturating_add(lease_ms)])
        .map_err(backend)?;
    Ok(n == 1)
}

/// Stores the response if the claim is still `token`'s. A holder whose lease ran out but
/// that nobody took over still finishes: its response is the one.
pub(crate) fn finish(
    c: &Connection,
    key: &str,
    token: i64,
    resp: &CachedResponse,
    now: i64,
) -> StoreResult<bool> {
    let n = c
        .prepare_cached(
            "UPDATE idempotency SET status = ?3, body = ?4, lease_until = NULL, created_at = ?5, \
             msg_id = ?6 WHERE key = ?1 AND token = ?2 AND status IS NULL",
        )
        .map_err(backend)?
        .execute(params![
            key,
            token,
            resp.status,
            resp.body,
            now,
            resp.msg_id
        ])
        .map_err(backend)?;
    Ok(n == 1)
}

/// Frees the claim at once, keeping its token so the next claim gets a new one.
pub(crate) fn abandon(c: &Connection, key: &str, token: i64) -> StoreResult<()> {
    c.prepare_cached(
        "UPDATE idempotency SET lease_until = 0 WHERE key = ?1 AND token = ?2 AND status IS NULL",
    )
    .map_err(backend)?
    .execute(params![key, token])
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
