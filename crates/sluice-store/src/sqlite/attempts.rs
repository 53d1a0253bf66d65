//! Attempt history and the per-endpoint / per-message views of deliveries.

use rusqlite::types::Value;
use rusqlite::{params, Connection};
use sluice_core::model::{Attempt, Delivery, DeliveryStatus, Endpoint, Message};

use super::db::{exec, query_opt};
use super::page::ListQuery;
use super::queries::{attempt, delivery};
use super::rows::{
    attempt_at, delivery_at, endpoint_at, message_at, ENDPOINT_NCOLS, MESSAGE_NCOLS,
};
use crate::{AttemptFilter, Listed, Page, StoreResult};

/// Records one try. `OR IGNORE` makes a retried `record_outcomes` (after a failed commit was
/// reported but the caller cannot know what happened) harmless.
pub(crate) fn insert_attempt(c: &Connection, a: &Attempt) -> StoreResult<()> {
    exec(
        c,
        &attempt::INSERT,
        params![
            a.id,
            a.delivery_id,
            a.msg_id,
            a.endpoint_id,
            a.app_id,
            a.url,
            a.response,
            a.response_status_code,
            a.response_duration_ms,
            a.status as i64,
            a.trigger as i64,
            a.error_class,
            a.created_at
        ],
    )?;
    Ok(())
}

pub(crate) fn list_attempts(
    c: &Connection,
    f: &AttemptFilter,
    page: &Page,
) -> StoreResult<Listed<Attempt>> {
    // Start from the statement that names the index of the narrowest scope: the planner has
    // no statistics to choose by.
    let start = if f.msg_id.is_some() {
        &attempt::LIST_OF_MESSAGE
    } else if f.endpoint_id.is_some() {
        &attempt::LIST_OF_ENDPOINT
    } else {
        &attempt::LIST_OF_APP
    };
    let mut q = ListQuery::new(start.text(), f.app_id.clone());
    if let Some(m) = &f.msg_id {
        q.and("t.msg_id = ?", [Value::Text(m.clone())]);
    }
    if let Some(e) = &f.endpoint_id {
        q.and("t.endpoint_id = ?", [Value::Text(e.clone())]);
    }
    if let Some(s) = f.status {
        q.and("t.status = ?", [Value::Integer(s as i64)]);
    }
    if let Some(class) = f.status_code_class {
        // Class 0 is "no response" (code 0); class N00 is N00..=N99.
        let lo = i64::from(class);
        q.and(
            "t.response_status_code >= ? AND t.response_status_code < ?",
            [Value::Integer(lo), Value::Integer(lo + 100)],
        );
    }
    // An empty list means no filter, as for messages.
    if let Some(types) = f.event_types.as_ref().filter(|t| !t.is_empty()) {
        let marks = vec!["?"; types.len()].join(", ");
        q.and(
            &format!(
                "EXISTS (SELECT 1 FROM message m WHERE m.id = t.msg_id \
                 AND m.event_type IN ({marks}))"
            ),
            types.iter().map(|t| Value::Text(t.clone())),
        );
    }
    if let Some(ch) = &f.channel {
        q.and(
            "EXISTS (SELECT 1 FROM message m, json_each(m.channels) j \
             WHERE m.id = t.msg_id AND j.value = ?)",
            [Value::Text(ch.clone())],
        );
    }
    if let Some(tag) = &f.tag {
        q.and(
            "EXISTS (SELECT 1 FROM message_tag mt \
             WHERE mt.app_id = t.app_id AND mt.tag = ? AND mt.msg_id = t.msg_id)",
            [Value::Text(tag.clone())],
        );
    }
    q.and_time("t.created_at", f.before, f.after);
    q.fetch(c, "t.id", page, |r| attempt_at(r, 0))
}

pub(crate) fn get_attempt(
    c: &Connection,
    app_id: &str,
    msg_id: &str,
    attempt_id: &str,
) -> StoreResult<Option<Attempt>> {
    query_opt(c, &attempt::GET, params![attempt_id, app_id, msg_id], |r| {
        attempt_at(r, 0)
    })
}

pub(crate) fn list_endpoint_deliveries(
    c: &Connection,
    endpoint_id: &str,
    status: Option<DeliveryStatus>,
    page: &Page,
) -> StoreResult<Listed<(Message, Delivery)>> {
    let mut q = ListQuery::new(delivery::LIST_OF_ENDPOINT.text(), endpoint_id.to_string());
    if let Some(s) = status {
        q.and("d.status = ?", [Value::Integer(s as i64)]);
    }
    q.fetch(c, "d.msg_id", page, |r| {
        Ok((message_at(r, 0)?, delivery_at(r, MESSAGE_NCOLS)?))
    })
}

pub(crate) fn list_message_deliveries(
    c: &Connection,
    msg_id: &str,
    page: &Page,
) -> StoreResult<Listed<(Endpoint, Delivery)>> {
    let q = ListQuery::new(delivery::LIST_OF_MESSAGE.text(), msg_id.to_string());
    q.fetch(c, "d.endpoint_id", page, |r| {
        Ok((endpoint_at(r, 0)?, delivery_at(r, ENDPOINT_NCOLS)?))
    })
}
