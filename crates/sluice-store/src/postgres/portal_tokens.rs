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

pub(super) async fn create_portal_token(s: &PgStore, token: PortalToken) -> StoreResult<()> {
    let _ = (s, token);
    Err(super::errors::backend(
        "create_portal_token: not yet on PostgreSQL",
    ))
}

pub(super) async fn portal_token(s: &PgStore, id: &str) -> StoreResult<Option<PortalToken>> {
    let _ = (s, id);
    Err(super::errors::backend(
        "portal_token: not yet on PostgreSQL",
    ))
}

pub(super) async fn revoke_portal_token(s: &PgStore, id: &str, at: Millis) -> StoreResult<()> {
    let _ = (s, id, at);
    Err(super::errors::backend(
        "revoke_portal_token: not yet on PostgreSQL",
    ))
}

pub(super) async fn expire_portal_tokens(
    s: &PgStore,
    app_id: &str,
    session_ids: Option<Vec<String>>,
    at: Millis,
    now: Millis,
) -> StoreResult<u64> {
    let _ = (s, app_id, session_ids, at, now);
    Err(super::errors::backend(
        "expire_portal_tokens: not yet on PostgreSQL",
    ))
}

pub(super) async fn purge_portal_tokens(s: &PgStore, now: Millis) -> StoreResult<u64> {
    let _ = (s, now);
    Err(super::errors::backend(
        "purge_portal_tokens: not yet on PostgreSQL",
    ))
}
