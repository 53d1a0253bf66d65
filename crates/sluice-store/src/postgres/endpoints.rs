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

pub(super) async fn create_endpoint(s: &PgStore, ep: Endpoint) -> StoreResult<()> {
    let _ = (s, ep);
    Err(super::errors::backend(
        "create_endpoint: not yet on PostgreSQL",
    ))
}

pub(super) async fn get_endpoint(
    s: &PgStore,
    app_id: &str,
    id_or_uid: &str,
) -> StoreResult<Option<Endpoint>> {
    let _ = (s, app_id, id_or_uid);
    Err(super::errors::backend(
        "get_endpoint: not yet on PostgreSQL",
    ))
}

pub(super) async fn list_endpoints(
    s: &PgStore,
    app_id: &str,
    page: Page,
) -> StoreResult<Listed<Endpoint>> {
    let _ = (s, app_id, page);
    Err(super::errors::backend(
        "list_endpoints: not yet on PostgreSQL",
    ))
}

pub(super) async fn update_endpoint(s: &PgStore, ep: Endpoint) -> StoreResult<()> {
    let _ = (s, ep);
    Err(super::errors::backend(
        "update_endpoint: not yet on PostgreSQL",
    ))
}

pub(super) async fn edit_endpoint(
    s: &PgStore,
    app_id: &str,
    endpoint_id: &str,
    edit: EndpointEdit,
) -> StoreResult<Endpoint> {
    let _ = (s, app_id, endpoint_id, edit);
    Err(super::errors::backend(
        "edit_endpoint: not yet on PostgreSQL",
    ))
}

pub(super) async fn delete_endpoint(
    s: &PgStore,
    app_id: &str,
    endpoint_id: &str,
) -> StoreResult<()> {
    let _ = (s, app_id, endpoint_id);
    Err(super::errors::backend(
        "delete_endpoint: not yet on PostgreSQL",
    ))
}

pub(super) async fn endpoint_stats(
    s: &PgStore,
    endpoint_id: &str,
    since: Millis,
    until: Millis,
) -> StoreResult<Vec<(DeliveryStatus, u64)>> {
    let _ = (s, endpoint_id, since, until);
    Err(super::errors::backend(
        "endpoint_stats: not yet on PostgreSQL",
    ))
}
