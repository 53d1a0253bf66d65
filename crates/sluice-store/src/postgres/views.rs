//! Attempt history and the per-endpoint / per-message views of deliveries.

use sluice_core::model::{Attempt, Delivery, DeliveryStatus, Endpoint, Message};

use super::db::query_opt;
use super::page::ListQuery;
use super::queries::{attempt, delivery};
use super::rows::{
    attempt_at, delivery_at, endpoint_at, message_at, ENDPOINT_NCOLS, MESSAGE_NCOLS,
};
use super::PgStore;
use crate::{AttemptFilter, Listed, Page, StoreResult};

/// A status as stored (INTEGER).
fn status_value(s: DeliveryStatus) -> i32 {
    s as i32
}

pub(super) async fn list_attempts(
    s: &PgStore,
    f: AttemptFilter,
    page: Page,
) -> StoreResult<Listed<Attempt>> {
    let c = s.client().await?;
    let mut q = ListQuery::new(&attempt::LIST, f.app_id.clone());
    if let Some(m) = f.msg_id {
        let p = q.param(m);
        q.and(&format!("t.msg_id = {p}"));
    }
    if let Some(e) = f.endpoint_id {
        let p = q.param(e);
        q.and(&format!("t.endpoint_id = {p}"));
    }
    if let Some(st) = f.status {
        let p = q.param(status_value(st));
        q.and(&format!("t.status = {p}"));
    }
    if let Some(class) = f.status_code_class {
        // Class 0 is "no response" (code 0); class N00 is N00..=N99.
        let lo = q.param(class);
        let hi = q.param(class.saturating_add(100));
        q.and(&format!(
            "t.response_status_code >= {lo} AND t.response_status_code < {hi}"
        ));
    }
    // An empty list means no filter, as for messages.
    if let Some(types) = f.event_types.filter(|t| !t.is_empty()) {
        let p = q.param(types);
        q.and(&format!(
            "EXISTS (SELECT 1 FROM message m WHERE m.id = t.msg_id \
             AND m.event_type = ANY({p}))"
        ));
    }
    if let Some(ch) = f.channel {
        let p = q.param(ch);
        q.and(&format!(
            "EXISTS (SELECT 1 FROM message m WHERE m.id = t.msg_id \
             AND m.channels::jsonb ? {p})"
        ));
    }
    if let Some(tag) = f.tag {
        let p = q.param(tag);
        q.and(&format!(
            "EXISTS (SELECT 1 FROM message_tag mt \
             WHERE mt.app_id = t.app_id AND mt.tag = {p} AND mt.msg_id = t.msg_id)"
        ));
    }
    q.and_time("t.created_at", f.before, f.after);
    q.fetch(&c, "t.id", &page, |r| attempt_at(r, 0)).await
}

pub(super) async fn get_attempt(
    s: &PgStore,
    app_id: &str,
    msg_id: &str,
    attempt_id: &str,
) -> StoreResult<Option<Attempt>> {
    let c = s.client().await?;
    query_opt(&c, &attempt::GET, &[&attempt_id, &app_id, &msg_id])
        .await?
        .map(|r| attempt_at(&r, 0))
        .transpose()
}

pub(super) async fn list_endpoint_deliveries(
    s: &PgStore,
    endpoint_id: &str,
    status: Option<DeliveryStatus>,
    page: Page,
) -> StoreResult<Listed<(Message, Delivery)>> {
    let c = s.client().await?;
    let mut q = ListQuery::new(&delivery::LIST_OF_ENDPOINT, endpoint_id.to_string());
    if let Some(st) = status {
        let p = q.param(status_value(st));
        q.and(&format!("d.status = {p}"));
    }
    q.fetch(&c, "d.msg_id", &page, |r| {
        Ok((message_at(r, 0)?, delivery_at(r, MESSAGE_NCOLS)?))
    })
    .await
}

pub(super) async fn list_message_deliveries(
    s: &PgStore,
    msg_id: &str,
    page: Page,
) -> StoreResult<Listed<(Endpoint, Delivery)>> {
    let c = s.client().await?;
    ListQuery::new(&delivery::LIST_OF_MESSAGE, msg_id.to_string())
        .fetch(&c, "d.endpoint_id", &page, |r| {
            Ok((endpoint_at(r, 0)?, delivery_at(r, ENDPOINT_NCOLS)?))
        })
        .await
}
