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

pub(super) async fn create_event_type(s: &PgStore, et: EventType) -> StoreResult<()> {
    let _ = (s, et);
    Err(super::errors::backend(
        "create_event_type: not yet on PostgreSQL",
    ))
}

pub(super) async fn get_event_type(
    s: &PgStore,
    org_id: &str,
    name: &str,
) -> StoreResult<Option<EventType>> {
    let _ = (s, org_id, name);
    Err(super::errors::backend(
        "get_event_type: not yet on PostgreSQL",
    ))
}

pub(super) async fn list_event_types(
    s: &PgStore,
    org_id: &str,
    include_archived: bool,
    page: Page,
) -> StoreResult<Listed<EventType>> {
    let _ = (s, org_id, include_archived, page);
    Err(super::errors::backend(
        "list_event_types: not yet on PostgreSQL",
    ))
}

pub(super) async fn update_event_type(s: &PgStore, et: EventType) -> StoreResult<()> {
    let _ = (s, et);
    Err(super::errors::backend(
        "update_event_type: not yet on PostgreSQL",
    ))
}

pub(super) async fn delete_event_type(s: &PgStore, org_id: &str, name: &str) -> StoreResult<()> {
    let _ = (s, org_id, name);
    Err(super::errors::backend(
        "delete_event_type: not yet on PostgreSQL",
    ))
}
