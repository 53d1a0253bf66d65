//! What redrive and the other background tasks read: dead letters, the deliveries a bulk
//! replay re-sends (and their count, one filter builder for both so a dry run counts what
//! the run sends), messages without their payloads, and an application's usage counts.

use rusqlite::types::Value;
use rusqlite::{params, Connection, Row};
use sluice_core::model::DeliveryStatus;
use sluice_core::{ids, Millis};

use super::db::{query_all, query_opt};
use super::page::ListQuery;
use super::queries::{attempt, delivery, message};
use crate::{
    AppUsage, DeadLetter, DeadLetterFilter, LastAttempt, Listed, MessageHead, Order, Page,
    ReplaySelection, StoreResult,
};

fn dead_letter_at(r: &Row<'_>) -> rusqlite::Result<DeadLetter> {
    let attempt_id: Option<String> = r.get(9)?;
    let expunged_at: Option<i64> = r.get(8)?;
    Ok(DeadLetter {
        delivery_id: r.get(0)?,
        msg_id: r.get(1)?,
        event_id: r.get(2)?,
        event_type: r.get(3)?,
        endpoint_id: r.get(4)?,
        attempts: r.get::<_, i64>(5)?.max(0) as u32,
        created_at: r.get(6)?,
        failed_at: r.get(7)?,
        expunged: expunged_at.is_some(),
        last_attempt: match attempt_id {
            Some(id) => Some(LastAttempt {
                id,
                created_at: r.get(10)?,
                response_status_code: r.get(11)?,
                error_class: r.get(12)?,
            }),
            None => None,
        },
    })
}

/// The status-code range of class `class` (0 is "no response": code 0).
fn class_range(class: i32) -> (i64, i64) {
    let lo = i64::from(class);
    (lo, lo + 100)
}

pub(crate) fn list_dead_letters(
    c: &Connection,
    f: &DeadLetterFilter,
    page: &Page,
) -> StoreResult<Listed<DeadLetter>> {
    let mut q = match &f.endpoint_id {
        Some(ep) => {
            let mut q = ListQuery::new(delivery::DEAD_LETTERS_OF_ENDPOINT.text(), ep.clone());
            q.and("d.app_id = ?", [Value::Text(f.app_id.clone())]);
            q
        }
        None => ListQuery::new(delivery::DEAD_LETTERS_OF_APP.text(), f.app_id.clone()),
    };
    q.and_time("d.updated_at", f.failed_before, f.failed_after);
    if let Some(s) = f.created_since {
        q.and("d.created_at >= ?", [Value::Integer(s)]);
    }
    if let Some(u) = f.created_until {
        q.and("d.created_at < ?", [Value::Integer(u)]);
    }
    q.and_in("m.event_type", &f.event_types);
    if let Some(code) = f.status_code {
        q.and("la.response_status_code = ?", [Value::Integer(code.into())]);
    }
    if let Some(class) = f.status_code_class {
        let (lo, hi) = class_range(class);
        q.and(
            "la.response_status_code >= ? AND la.response_status_code < ?",
            [Value::Integer(lo), Value::Integer(hi)],
        );
    }
    q.fetch(c, "d.id", page, dead_letter_at)
}

/// Adds the bulk replay's filters to a query started from `replayable.sql` or
/// `count_replayable.sql`.
fn replay_filters(q: &mut ListQuery, sel: &ReplaySelection) {
    // Message ids start with their creation time: the id range narrows the index walk to
    // the window; the creation-time terms keep it exact.
    q.and(
        "d.msg_id >= ? AND d.msg_id < ? \
         AND m.created_at >= ? AND m.created_at < ? AND d.updated_at <= ?",
        [
            Value::Text(ids::lower_bound(ids::MESSAGE, sel.since)),
            Value::Text(ids::lower_bound(ids::MESSAGE, sel.until.saturating_add(1))),
            Value::Integer(sel.since),
            Value::Integer(sel.until),
            Value::Integer(sel.finished_by),
        ],
    );
    q.and_in("m.event_type", &sel.event_types);
    if let Some(ch) = &sel.channel {
        q.and(
            "EXISTS (SELECT 1 FROM json_each(m.channels) j WHERE j.value = ?)",
            [Value::Text(ch.clone())],
        );
    }
    if let Some(tag) = &sel.tag {
        q.and(
            "EXISTS (SELECT 1 FROM message_tag mt \
             WHERE mt.app_id = m.app_id AND mt.tag = ? AND mt.msg_id = m.id)",
            [Value::Text(tag.clone())],
        );
    }
    if let Some(s) = sel.status {
        q.and("d.status = ?", [Value::Integer(s as i64)]);
    }
    if let Some(class) = sel.status_code_class {
        let (lo, hi) = class_range(class);
        q.and(
            "EXISTS (SELECT 1 FROM attempt la WHERE la.id = (SELECT a.id FROM attempt a \
             WHERE a.msg_id = d.msg_id AND a.endpoint_id = d.endpoint_id \
             ORDER BY a.id DESC LIMIT 1) \
             AND la.response_status_code >= ? AND la.response_status_code < ?)",
            [Value::Integer(lo), Value::Integer(hi)],
        );
    }
}

pub(crate) fn list_replayable(
    c: &Connection,
    endpoint_id: &str,
    sel: &ReplaySelection,
    after: Option<String>,
    limit: usize,
) -> StoreResult<Vec<(String, String)>> {
    let mut q = ListQuery::new(delivery::REPLAYABLE.text(), endpoint_id.to_string());
    replay_filters(&mut q, sel);
    let page = Page {
        limit,
        iterator: after,
        backwards: false,
        order: Order::Ascending,
    };
    Ok(
        q.fetch(c, "d.msg_id", &page, |r| Ok((r.get(0)?, r.get(1)?)))?
            .items,
    )
}

pub(crate) fn count_replayable(
    c: &Connection,
    endpoint_id: &str,
    sel: &ReplaySelection,
) -> StoreResult<u64> {
    let mut q = ListQuery::new(delivery::COUNT_REPLAYABLE.text(), endpoint_id.to_string());
    replay_filters(&mut q, sel);
    q.count(c)
}

pub(crate) fn list_message_heads(
    c: &Connection,
    app_id: &str,
    since: Millis,
    until: Millis,
    after: Option<String>,
    limit: usize,
) -> StoreResult<Vec<MessageHead>> {
    let limit = limit.clamp(1, 250) as i64;
    query_all(
        c,
        &message::HEADS,
        params![app_id, since, until, after, limit],
        |r| {
            let channels: Option<String> = r.get(2)?;
            let expunged_at: Option<i64> = r.get(4)?;
            Ok(MessageHead {
                id: r.get(0)?,
                event_type: r.get(1)?,
                channels: channels.and_then(|t| serde_json::from_str(&t).ok()),
                created_at: r.get(3)?,
                expunged: expunged_at.is_some(),
            })
        },
    )
}

pub(crate) fn app_usage(
    c: &Connection,
    app_id: &str,
    since: Millis,
    until: Millis,
) -> StoreResult<AppUsage> {
    let count = |sql| -> StoreResult<u64> {
        let n: Option<i64> = query_opt(c, sql, params![app_id, since, until], |r| r.get(0))?;
        Ok(n.unwrap_or(0).max(0) as u64)
    };
    let mut usage = AppUsage {
        messages: count(&message::COUNT_OF_APP)?,
        message_destinations: count(&delivery::COUNT_OF_APP)?,
        ..AppUsage::default()
    };
    let by_status: Vec<(i64, i64)> = query_all(
        c,
        &attempt::COUNT_OF_APP,
        params![app_id, since, until],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    for (status, n) in by_status {
        let n = n.max(0) as u64;
        match DeliveryStatus::from_i64(status) {
            Some(DeliveryStatus::Success) => usage.attempts_success += n,
            _ => usage.attempts_fail += n,
        }
    }
    Ok(usage)
}
