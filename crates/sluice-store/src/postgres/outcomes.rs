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

pub(super) async fn resend(
    s: &PgStore,
    msg_id: &str,
    endpoint_id: &str,
    now: Millis,
) -> StoreResult<()> {
    let _ = (s, msg_id, endpoint_id, now);
    Err(super::errors::backend("resend: not yet on PostgreSQL"))
}

pub(super) async fn recover_endpoint(
    s: &PgStore,
    endpoint_id: &str,
    since: Millis,
    until: Millis,
    now: Millis,
) -> StoreResult<u64> {
    let _ = (s, endpoint_id, since, until, now);
    Err(super::errors::backend(
        "recover_endpoint: not yet on PostgreSQL",
    ))
}

pub(super) async fn record_outcomes(
    s: &PgStore,
    outcomes: Vec<sluice_core::queue::Outcome>,
) -> StoreResult<()> {
    let _ = (s, outcomes);
    Err(super::errors::backend(
        "record_outcomes: not yet on PostgreSQL",
    ))
}
