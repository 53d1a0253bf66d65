//! Messages and their fan-out into deliveries (the transactional outbox).

use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};
use sluice_core::filter::endpoint_matches;
use sluice_core::ids;
use sluice_core::model::{Message, Trigger};

use super::page::ListQuery;
use super::rows::{backend, message_at, opt_json, to_json, MESSAGE_COLS, MESSAGE_NCOLS};
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
    c.prepare_cached(
        "INSERT INTO message (id, app_id, event_type, event_id, channels, payload, created_at, \
         content_type, headers, tags, deliver_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .map_err(backend)?
    .execute(params![
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
        msg.deliver_at
    ])
    .map_err(backend)?;
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
    let mut stmt = c
        .prepare_cached(
            "INSERT OR IGNORE INTO message_tag (app_id, tag, msg_id) VALUES (?1, ?2, ?3)",
        )
        .map_err(backend)?;
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
    c.prepare_cached("SELECT id FROM endpoint WHERE id = ?1 AND app_id = ?2")
        .map_err(backend)?
        .query_row(params![endpoint_id, app_id], |r| r.get(0))
        .optional()
        .map_err(backend)?
        .ok_or(StoreError::NotFound)
}

/// Enabled endpoints of the message's app whose filters accept it.
fn matching_endpoints(c: &Connection, msg: &Message) -> StoreResult<Vec<String>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT id, event_types, channels FROM endpoint WHERE app_id = ?1 AND disabled = 0",
        )
        .map_err(backend)?;
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
    c.prepare_cached(
        "INSERT INTO delivery (id, msg_id, endpoint_id, app_id, status, attempts, \
         round_attempts, next_attempt_at, lease, trigger, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 1, 0, 0, ?7, NULL, ?6, ?5, ?5)",
    )
    .map_err(backend)?
    .execute(params![
        id,
        msg_id,
        endpoint_id,
        app_id,
        now,
        trigger as i64,
        due
    ])
    .map_err(backend)?;
    Ok(id)
}

pub(crate) fn get_message(
    c: &Connection,
    app_id: &str,
    id_or_event_id: &str,
) -> StoreResult<Option<Message>> {
    // Two indexed lookups instead of `id = ? OR event_id = ?`; an id match wins.
    let rank = MESSAGE_NCOLS + 1;
    let sql = format!(
        "SELECT {MESSAGE_COLS}, 0 FROM message m WHERE m.app_id = ?1 AND m.id = ?2 \
         UNION ALL SELECT {MESSAGE_COLS}, 1 FROM message m \
         WHERE m.app_id = ?1 AND m.event_id = ?2 ORDER BY {rank} LIMIT 1"
    );
    c.prepare_cached(&sql)
        .map_err(backend)?
        .query_row(params![app_id, id_or_event_id], |r| message_at(r, 0))
        .optional()
        .map_err(backend)
}

/// A message by id alone (the dispatcher's view).
pub(crate) fn message_by_id(c: &Connection, id: &str) -> StoreResult<Option<Message>> {
    c.prepare_cached(&format!(
        "SELECT {MESSAGE_COLS} FROM message m WHERE m.id = ?1"
    ))
    .map_err(backend)?
    .query_row([id], |r| message_at(r, 0))
    .optional()
    .map_err(backend)
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
            let mut q = ListQuery::new(
                &format!(
                    "SELECT {MESSAGE_COLS} FROM message_tag mt JOIN message m ON m.id = mt.msg_id \
                     WHERE mt.app_id = ?"
                ),
                app_id.to_string(),
            );
            q.and("mt.tag = ?", [Value::Text(tag.clone())]);
            (q, "mt.msg_id")
        }
        None => (
            ListQuery::new(
                &format!(
                    "SELECT {MESSAGE_COLS} FROM message m INDEXED BY message_app_id \
                     WHERE m.app_id = ?"
                ),
                app_id.to_string(),
            ),
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
