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

pub(super) async fn create_app(s: &PgStore, app: Application) -> StoreResult<()> {
    let _ = (s, app);
    Err(super::errors::backend("create_app: not yet on PostgreSQL"))
}

pub(super) async fn get_app(
    s: &PgStore,
    org_id: &str,
    id_or_uid: &str,
) -> StoreResult<Option<Application>> {
    let _ = (s, org_id, id_or_uid);
    Err(super::errors::backend("get_app: not yet on PostgreSQL"))
}

pub(super) async fn list_apps(
    s: &PgStore,
    org_id: &str,
    page: Page,
) -> StoreResult<Listed<Application>> {
    let _ = (s, org_id, page);
    Err(super::errors::backend("list_apps: not yet on PostgreSQL"))
}

pub(super) async fn update_app(s: &PgStore, app: Application) -> StoreResult<()> {
    let _ = (s, app);
    Err(super::errors::backend("update_app: not yet on PostgreSQL"))
}

pub(super) async fn delete_app(s: &PgStore, org_id: &str, app_id: &str) -> StoreResult<()> {
    let _ = (s, org_id, app_id);
    Err(super::errors::backend("delete_app: not yet on PostgreSQL"))
}
