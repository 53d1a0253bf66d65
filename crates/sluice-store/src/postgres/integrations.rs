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

pub(super) async fn create_integration(
    s: &PgStore,
    integ: Integration,
    key_hash: String,
) -> StoreResult<()> {
    let _ = (s, integ, key_hash);
    Err(super::errors::backend(
        "create_integration: not yet on PostgreSQL",
    ))
}

pub(super) async fn get_integration(
    s: &PgStore,
    app_id: &str,
    id: &str,
) -> StoreResult<Option<Integration>> {
    let _ = (s, app_id, id);
    Err(super::errors::backend(
        "get_integration: not yet on PostgreSQL",
    ))
}

pub(super) async fn list_integrations(
    s: &PgStore,
    app_id: &str,
    page: Page,
) -> StoreResult<Listed<Integration>> {
    let _ = (s, app_id, page);
    Err(super::errors::backend(
        "list_integrations: not yet on PostgreSQL",
    ))
}

pub(super) async fn update_integration(s: &PgStore, integ: Integration) -> StoreResult<()> {
    let _ = (s, integ);
    Err(super::errors::backend(
        "update_integration: not yet on PostgreSQL",
    ))
}

pub(super) async fn delete_integration(s: &PgStore, app_id: &str, id: &str) -> StoreResult<()> {
    let _ = (s, app_id, id);
    Err(super::errors::backend(
        "delete_integration: not yet on PostgreSQL",
    ))
}

pub(super) async fn rotate_integration_key(
    s: &PgStore,
    app_id: &str,
    id: &str,
    sealed_key: Vec<u8>,
    key_hash: String,
    now: Millis,
) -> StoreResult<()> {
    let _ = (s, app_id, id, sealed_key, key_hash, now);
    Err(super::errors::backend(
        "rotate_integration_key: not yet on PostgreSQL",
    ))
}
