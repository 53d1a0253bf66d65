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

pub(super) async fn list_attempts(
    s: &PgStore,
    filter: AttemptFilter,
    page: Page,
) -> StoreResult<Listed<Attempt>> {
    let _ = (s, filter, page);
    Err(super::errors::backend(
        "list_attempts: not yet on PostgreSQL",
    ))
}

pub(super) async fn get_attempt(
    s: &PgStore,
    app_id: &str,
    msg_id: &str,
    attempt_id: &str,
) -> StoreResult<Option<Attempt>> {
    let _ = (s, app_id, msg_id, attempt_id);
    Err(super::errors::backend("get_attempt: not yet on PostgreSQL"))
}

pub(super) async fn list_endpoint_deliveries(
    s: &PgStore,
    endpoint_id: &str,
    status: Option<DeliveryStatus>,
    page: Page,
) -> StoreResult<Listed<(Message, Delivery)>> {
    let _ = (s, endpoint_id, status, page);
    Err(super::errors::backend(
        "list_endpoint_deliveries: not yet on PostgreSQL",
    ))
}

pub(super) async fn list_message_deliveries(
    s: &PgStore,
    msg_id: &str,
    page: Page,
) -> StoreResult<Listed<(Endpoint, Delivery)>> {
    let _ = (s, msg_id, page);
    Err(super::errors::backend(
        "list_message_deliveries: not yet on PostgreSQL",
    ))
}
