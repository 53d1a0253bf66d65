//! Idempotency keys: claims with a lease and a fencing token, then the stored response
//! (see [`crate::IdempotencyBegin`]), with the semantics of `sqlite/idempotency.rs`.
//!
//! A replay or a live claim is answered by a plain read ([`peek`]); only a key that is free
//! costs a write, [`idempotency_begin`]'s single upsert, which is the arbiter across nodes:
//! `INSERT … ON CONFLICT DO UPDATE … WHERE <free>` makes a concurrent caller wait for the
//! other's transaction and re-check the condition on the committed row, so of any number of
//! concurrent callers exactly one gets a token.

use deadpool_postgres::GenericClient;
use sluice_core::Millis;
use tokio_postgres::Row;

use super::db::{exec, query_opt};
use super::queries::idempotency;
use super::rows::{backend, col};
use super::PgStore;
use crate::{CachedResponse, IdempotencyBegin, StoreResult};

/// The row of `key` as `begin` reports it: a stored response, or a claim live at `now`.
/// `None` when the key is free (absent, abandoned or expired).
async fn peek<C: GenericClient>(
    c: &C,
    key: &str,
    now: Millis,
) -> StoreResult<Option<IdempotencyBegin>> {
    match query_opt(c, &idempotency::PEEK, &[&key]).await? {
        Some(r) => state_at(&r, now),
        None => Ok(None),
    }
}

fn state_at(r: &Row, now: Millis) -> StoreResult<Option<IdempotencyBegin>> {
    let status: Option<i32> = col(r, 0)?;
    if let Some(status) = status {
        return Ok(Some(IdempotencyBegin::Replay(CachedResponse {
            status: u16::try_from(status).map_err(backend)?,
            body: col(r, 1)?,
            msg_id: col(r, 3)?,
        })));
    }
    let lease_until: Option<i64> = col(r, 2)?;
    Ok(lease_until
        .is_some_and(|until| until > now)
        .then_some(IdempotencyBegin::InFlight))
}

/// Claims `key` unless it holds a response or a live claim.
pub(super) async fn idempotency_begin(
    s: &PgStore,
    key: &str,
    now: Millis,
    lease_ms: Millis,
) -> StoreResult<IdempotencyBegin> {
    let c = s.client().await?;
    if let Some(found) = peek(&c, key, now).await? {
        return Ok(found);
    }
    let until = now.saturating_add(lease_ms);
    // Insert a new claim, or take over one that is free (see the statement).
    if let Some(r) = query_opt(&c, &idempotency::BEGIN, &[&key, &now, &until]).await? {
        return Ok(IdempotencyBegin::Run { token: col(&r, 0)? });
    }
    // Not free: a response or a live claim, which `peek` tells apart.
    Ok(peek(&c, key, now)
        .await?
        .unwrap_or(IdempotencyBegin::InFlight))
}

pub(super) async fn idempotency_renew(
    s: &PgStore,
    key: &str,
    token: i64,
    now: Millis,
    lease_ms: Millis,
) -> StoreResult<bool> {
    let c = s.client().await?;
    let until = now.saturating_add(lease_ms);
    Ok(exec(&c, &idempotency::RENEW, &[&key, &token, &until]).await? == 1)
}

/// Stores the response if the claim is still `token`'s. A holder whose lease ran out but
/// that nobody took over still finishes: its response is the one.
pub(super) async fn idempotency_finish(
    s: &PgStore,
    key: &str,
    token: i64,
    resp: CachedResponse,
    now: Millis,
) -> StoreResult<bool> {
    let c = s.client().await?;
    let status = i32::from(resp.status);
    let n = exec(
        &c,
        &idempotency::FINISH,
        &[&key, &token, &status, &resp.body, &now, &resp.msg_id],
    )
    .await?;
    Ok(n == 1)
}

/// Frees the claim at once, keeping its token so the next claim gets a new one.
pub(super) async fn idempotency_abandon(s: &PgStore, key: &str, token: i64) -> StoreResult<()> {
    let c = s.client().await?;
    exec(&c, &idempotency::ABANDON, &[&key, &token]).await?;
    Ok(())
}

pub(super) async fn idempotency_purge(s: &PgStore, before: Millis) -> StoreResult<u64> {
    let c = s.client().await?;
    exec(&c, &idempotency::PURGE, &[&before]).await
}
