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

pub(super) async fn create_message(
    s: &PgStore,
    msg: Message,
    only_endpoint: Option<String>,
    now: Millis,
) -> StoreResult<usize> {
    let _ = (s, msg, only_endpoint, now);
    Err(super::errors::backend(
        "create_message: not yet on PostgreSQL",
    ))
}

pub(super) async fn create_inbound_message(
    s: &PgStore,
    source_id: &str,
    msg: Message,
    dedupe_key: Option<String>,
    now: Millis,
) -> StoreResult<InboundAccepted> {
    let _ = (s, source_id, msg, dedupe_key, now);
    Err(super::errors::backend(
        "create_inbound_message: not yet on PostgreSQL",
    ))
}

/// The batching writer of messages (to be written).
pub(crate) struct Writer {}

impl Writer {
    pub(crate) fn spawn(pool: deadpool_postgres::Pool, channel: std::sync::Arc<str>) -> Writer {
        let _ = (pool, channel);
        Writer {}
    }
}
