//! Idempotency keys: claims with a lease and a fencing token, then the stored response
//! (see [`crate::IdempotencyBegin`] and migration 0006 for the row's two states).
//!
//! A replay or a live claim is answered by [`peek`] on a reader; only a key that is free
//! costs a write, [`begin`]'s single upsert, which the writer's one-at-a-time jobs make the
//! arbiter: of two concurrent callers exactly one inserts or takes over the row.

use rusqlite::{params, Connection, Row};

use super::db::{exec, query_opt};
use super::queries::idempotency;
use crate::{CachedResponse, IdempotencyBegin, StoreResult};

/// The row of `key` as `begin` reports it: a stored response, or a claim live at `now`.
/// `None` when the key is free (absent, abandoned or expired).
pub(crate) fn peek(c: &Connection, key: &str, now: i64) -> StoreResult<Option<IdempotencyBegin>> {
    query_opt(c, &idempotency::PEEK, [key], |r| state_at(r, now)).map(Option::flatten)
}

/// Claims `key` unless it holds a response or a live claim.
pub(crate) fn begin(
    c: &Connection,
    key: &str,
    now: i64,
    lease_ms: i64,
) -> StoreResult<IdempotencyBegin> {
    let until = now.saturating_add(lease_ms);
    // Insert a new claim, or take over one that is free (see the statement).
    let token: Option<i64> = query_opt(c, &idempotency::BEGIN, params![key, now, until], |r| {
        r.get(0)
    })?;
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
    let n = exec(
        c,
        &idempotency::RENEW,
        params![key, token, now.saturating_add(lease_ms)],
    )?;
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
    let n = exec(
        c,
        &idempotency::FINISH,
        params![key, token, resp.status, resp.body, now, resp.msg_id],
    )?;
    Ok(n == 1)
}

/// Frees the claim at once, keeping its token so the next claim gets a new one.
pub(crate) fn abandon(c: &Connection, key: &str, token: i64) -> StoreResult<()> {
    exec(c, &idempotency::ABANDON, params![key, token])?;
    Ok(())
}

pub(crate) fn purge(c: &Connection, before: i64) -> StoreResult<u64> {
    let n = exec(c, &idempotency::PURGE, [before])?;
    Ok(n as u64)
}
