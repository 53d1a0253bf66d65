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

pub(super) async fn expunge_message_content(
    s: &PgStore,
    app_id: &str,
    msg_id: &str,
    now: Millis,
) -> StoreResult<()> {
    let _ = (s, app_id, msg_id, now);
    Err(super::errors::backend(
        "expunge_message_content: not yet on PostgreSQL",
    ))
}

pub(super) async fn expunge_attempt_content(
    s: &PgStore,
    app_id: &str,
    msg_id: &str,
    attempt_id: &str,
) -> StoreResult<()> {
    let _ = (s, app_id, msg_id, attempt_id);
    Err(super::errors::backend(
        "expunge_attempt_content: not yet on PostgreSQL",
    ))
}
