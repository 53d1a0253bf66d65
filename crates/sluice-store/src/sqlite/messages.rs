//! Messages and their fan-out into deliveries (the transactional outbox).

use rusqlite::types::Value;
use rusqlite::{params, Connection};
use sluice_core::filter::endpoint_matches;
use sluice_core::ids;
use sluice_core::model::{Message, Trigger};

use super::db::{exec, prepare, query_opt};
use super::page::ListQuery;
use super::queries::{by_id_or_key, delivery, endpoint, message, message_tag};
use super::rows::{backend, message_at, opt_json, to_json};
use crate::{Listed, MessageFilter, Page, StoreError, StoreResult};

/// Inserts the message, its tags and one delivery per target endpoint; returns the count.
/// Runs as one writer job, so all of it commits together or not at all. The deliveries are
/// due at once, or at `deliver_at` if that is later: the claim never takes them before.
pub(crate) fn create_message(
    c: &Connection,
    msg: &Message,
    only_endpoint: Option<&str>,
    now: i64,
) -> StoreResult<usize> {
    let (content_type, headers) = match &msg.inbound {
        Some(meta) => (
            Some(meta.content_type.as_str()),
            Some(to_json(&meta.headers)?),
        ),
        None => (None, None),
    };
    exec(
        c,
        &message::INSERT,
        params![
            msg.id,
            msg.app_id,
            msg.event_type,
            msg.event_id,
            opt_json(&msg.channels)?,
            msg.payload,
            msg.created_at,
            content_type,
            headers,
            opt_json(&msg.tags)?,
            msg.deliver_at,
            msg.payload_expires_at,
            msg.trace_context
        ],
    )?;
    insert_tags(c, msg)?;

    let targets = match only_endpoint {
        Some(ep) => vec![endpoint_of_app(c, &msg.app_id, ep)?],
        None => matching_endpoints(c, msg)?,
    };
    let due = msg.deliver_at.map_or(now, |at| at.max(now));
    for ep in &targets {
        insert_delivery(c, &msg.id, ep, &msg.app_id, now, due, Trigger::Scheduled)?;
    }
    Ok(targets.len())
}

/// One `message_tag` row per tag (a repeated tag is stored once).
fn insert_tags(c: &Connection, msg: &Message) -> StoreResult<()> {
    let Some(tags) = &msg.tags else {
        return Ok(());
    };
    let mut stmt = prepare(c, &message_tag::INSERT)?;
    for tag in tags {
        stmt.execute(params![msg.app_id, tag, msg.id])
            .map_err(backend)?;
    }
    Ok(())
}

/// The id of endpoint `endpoint_id` if it belongs to `app_id`, else `NotFound`.
pub(crate) fn endpoint_of_app(
    c: &Connection,
    app_id: &str,
    endpoint_id: &str,
) -> StoreResult<String> {
    query_opt(c, &endpoint::OF_APP, params![endpoint_id, app_id], |r| {
        r.get(0)
    })?
    .ok_or(StoreError::NotFound)
}

/// Enabled endpoints of the message's app whose filters accept it.
fn matching_endpoints(c: &Connection, msg: &Message) -> StoreResult<Vec<String>> {
    let mut stmt = prepare(c, &endpoint::ENABLED_FILTERS)?;
    let mut rows = stmt.query([&msg.app_id]).map_err(backend)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(backend)? {
        let types = parse_list(row.get(1).map_err(backend)?)?;
        let channels = parse_list(row.get(2).map_err(backend)?)?;
        if endpoint_matches(
            types.as_deref(),
            channels.as_deref(),
            &msg.event_type,
            msg.channels.as_deref(),
        ) {
            out.push(row.get(0).map_err(backend)?);
        }
    }
    Ok(out)
}

fn parse_list(text: Option<String>) -> StoreResult<Option<Vec<String>>> {
    text.map(|t| serde_json::from_str(&t).map_err(backend))
        .transpose()
}

/// Inserts a pending delivery created at `now` and due at `due`; returns its id.
pub(crate) fn insert_delivery(
    c: &Connection,
    msg_id: &str,
    endpoint_id: &str,
    app_id: &str,
    now: i64,
    due: i64,
    trigger: Trigger,
) -> StoreResult<String> {
    let id = ids::new_id(ids::DELIVERY, now);
    exec(
        c,
        &delivery::INSERT,
        params![id, msg_id, endpoint_id, app_id, now, trigger as i64, due],
    )?;
    Ok(id)
}

pub(crate) fn get_message(
    c: &Connection,
    app_id: &str,
    id_or_event_id: &str,
) -> StoreResult<Option<Message>> {
    by_id_or_key::MESSAGE.find(c, app_id, id_or_event_id, |r| message_at(r, 0))
}

/// A message by id alone (the dispatcher's view).
pub(crate) fn message_by_id(c: &Connection, id: &str) -> StoreResult<Option<Message>> {
    query_opt(c, &message::BY_ID, [id], |r| message_at(r, 0))
}

pub(crate) fn list_messages(
    c: &Connection,
    app_id: &str,
    filter: &MessageFilter,
    page: &Page,
) -> StoreResult<Listed<Message>> {
    // With a tag, walk that tag's rows (newest message first) instead of every message.
    let (mut q, key) = match &filter.tag {
        Some(tag) => {
            let mut q = ListQuery::new(message::LIST_BY_TAG.text(), app_id.to_string());
            q.and("mt.tag = ?", [Value::Text(tag.clone())]);
            (q, "mt.msg_id")
        }
        None => (
            ListQuery::new(message::LIST.text(), app_id.to_string()),
            "m.id",
        ),
    };
    if let Some(ch) = &filter.channel {
        q.and(
            "EXISTS (SELECT 1 FROM json_each(m.channels) WHERE json_each.value = ?)",
            [Value::Text(ch.clone())],
        );
    }
    if let Some(types) = &filter.event_types {
        q.and_in("m.event_type", types);
    }
    q.and_time("m.created_at", filter.before, filter.after);
    q.fetch(c, key, page, |r| message_at(r, 0))
}
