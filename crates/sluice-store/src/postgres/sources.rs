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

pub(super) async fn create_source(
    s: &PgStore,
    app: Application,
    source: Source,
    token_hash: String,
) -> StoreResult<()> {
    let _ = (s, app, source, token_hash);
    Err(super::errors::backend(
        "create_source: not yet on PostgreSQL",
    ))
}

pub(super) async fn get_source(
    s: &PgStore,
    org_id: &str,
    id_or_uid: &str,
) -> StoreResult<Option<Source>> {
    let _ = (s, org_id, id_or_uid);
    Err(super::errors::backend("get_source: not yet on PostgreSQL"))
}

pub(super) async fn list_sources(
    s: &PgStore,
    org_id: &str,
    page: Page,
) -> StoreResult<Listed<Source>> {
    let _ = (s, org_id, page);
    Err(super::errors::backend(
        "list_sources: not yet on PostgreSQL",
    ))
}

pub(super) async fn sources_of_kind(s: &PgStore, kind: &str) -> StoreResult<Vec<Source>> {
    let _ = (s, kind);
    Err(super::errors::backend(
        "sources_of_kind: not yet on PostgreSQL",
    ))
}

pub(super) async fn update_source(s: &PgStore, source: Source) -> StoreResult<()> {
    let _ = (s, source);
    Err(super::errors::backend(
        "update_source: not yet on PostgreSQL",
    ))
}

pub(super) async fn delete_source(s: &PgStore, org_id: &str, source_id: &str) -> StoreResult<()> {
    let _ = (s, org_id, source_id);
    Err(super::errors::backend(
        "delete_source: not yet on PostgreSQL",
    ))
}

pub(super) async fn rotate_source_token(
    s: &PgStore,
    source_id: &str,
    sealed_token: Vec<u8>,
    token_hash: String,
    old_expires_at: Millis,
    now: Millis,
) -> StoreResult<()> {
    let _ = (s, source_id, sealed_token, token_hash, old_expires_at, now);
    Err(super::errors::backend(
        "rotate_source_token: not yet on PostgreSQL",
    ))
}

pub(super) async fn source_by_token(
    s: &PgStore,
    token_hash: &str,
    now: Millis,
) -> StoreResult<Option<Source>> {
    let _ = (s, token_hash, now);
    Err(super::errors::backend(
        "source_by_token: not yet on PostgreSQL",
    ))
}

pub(super) async fn purge_inbound(
    s: &PgStore,
    dedupe_before: Millis,
    now: Millis,
) -> StoreResult<u64> {
    let _ = (s, dedupe_before, now);
    Err(super::errors::backend(
        "purge_inbound: not yet on PostgreSQL",
    ))
}
