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

pub(super) async fn get_message(
    s: &PgStore,
    app_id: &str,
    id_or_event_id: &str,
) -> StoreResult<Option<Message>> {
    let _ = (s, app_id, id_or_event_id);
    Err(super::errors::backend("get_message: not yet on PostgreSQL"))
}

pub(super) async fn list_messages(
    s: &PgStore,
    app_id: &str,
    filter: MessageFilter,
    page: Page,
) -> StoreResult<Listed<Message>> {
    let _ = (s, app_id, filter, page);
    Err(super::errors::backend(
        "list_messages: not yet on PostgreSQL",
    ))
}
