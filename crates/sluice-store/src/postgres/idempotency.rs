//! (to be written)

#![allow(unused_imports)]
use sluice_core::model::{
    Application, Attempt, Delivery, DeliveryStatus, Endpoint, EventType, Integration, Message,
    Source,
};
use sluice_core::Millis;

use super::PgStore;
use crate::{
    AttemptFilter, CachedResponse, EndpointEdit, IdempotencyBegin, InboundAccepted, Listed,
    MessageFilter, Page, PortalToken, StoreResult,
};

pub(super) async fn idempotency_begin(
    s: &PgStore,
    key: &str,
    now: Millis,
    lease_ms: Millis,
) -> StoreResult<IdempotencyBegin> {
    let _ = (s, key, now, lease_ms);
    Err(super::errors::backend(
        "idempotency_begin: not yet on PostgreSQL",
    ))
}

pub(super) async fn idempotency_renew(
    s: &PgStore,
    key: &str,
    token: i64,
    now: Millis,
    lease_ms: Millis,
) -> StoreResult<bool> {
    let _ = (s, key, token, now, lease_ms);
    Err(super::errors::backend(
        "idempotency_renew: not yet on PostgreSQL",
    ))
}

pub(super) async fn idempotency_finish(
    s: &PgStore,
    key: &str,
    token: i64,
    resp: CachedResponse,
    now: Millis,
) -> StoreResult<bool> {
    let _ = (s, key, token, resp, now);
    Err(super::errors::backend(
        "idempotency_finish: not yet on PostgreSQL",
    ))
}

pub(super) async fn idempotency_abandon(s: &PgStore, key: &str, token: i64) -> StoreResult<()> {
    let _ = (s, key, token);
    Err(super::errors::backend(
        "idempotency_abandon: not yet on PostgreSQL",
    ))
}

pub(super) async fn idempotency_purge(s: &PgStore, before: Millis) -> StoreResult<u64> {
    let _ = (s, before);
    Err(super::errors::backend(
        "idempotency_purge: not yet on PostgreSQL",
    ))
}
