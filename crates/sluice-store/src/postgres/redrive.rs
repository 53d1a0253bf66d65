//! What redrive and the other background tasks read, as in `sqlite/redrive.rs`: dead
//! letters, the deliveries a bulk replay re-sends (and their count, one filter builder for
//! both), messages without their payloads, and an application's usage counts.

use sluice_core::model::DeliveryStatus;
use sluice_core::{ids, Millis};
use tokio_postgres::Row;

use super::db::{query, query_opt};
use super::page::ListQuery;
use super::queries::{attempt, delivery, message};
use super::rows::col;
use super::PgStore;
use crate::{
    AppUsage, DeadLetter, DeadLetterFilter, LastAttempt, Listed, MessageHead, Order, Page,
    ReplaySelection, StoreError, StoreResult,
};

fn dead_letter_at(r: &Row) -> Result<DeadLetter, StoreError> {
    let attempt_id: Option<String> = col(r, 9)?;
    let expunged_at: Option<i64> = col(r, 8)?;
    let attempts: i32 = col(r, 5)?;
    Ok(DeadLetter {
        delivery_id: col(r, 0)?,
        msg_id: col(r, 1)?,
        event_id: col(r, 2)?,
        event_type: col(r, 3)?,
        endpoint_id: col(r, 4)?,
        attempts: attempts.max(0) as u32,
        created_at: col(r, 6)?,
        failed_at: col(r, 7)?,
        expunged: expunged_at.is_some(),
        last_attempt: match attempt_id {
            Some(id) => Some(LastAttempt {
                id,
                created_at: col(r, 10)?,
                response_status_code: col(r, 11)?,
                error_class: col(r, 12)?,
            }),
            None => None,
        },
    })
}

/// The status-code range of class `class` (0 is "no response": code 0).
fn class_range(class: i32) -> (i32, i32) {
    (class, class + 100)
}

pub(super) async fn list_dead_letters(
    s: &PgStore,
    f: DeadLetterFilter,
    page: Page,
) -> StoreResult<Listed<DeadLetter>> {
    let c = s.client().await?;
    let mut q = match &f.endpoint_id {
        Some(ep) => {
            let mut q = ListQuery::new(&delivery::DEAD_LETTERS_OF_ENDPOINT, ep.clone());
            let p = q.param(f.app_id.clone());
            q.and(&format!("d.app_id = {p}"));
            q
        }
        None => ListQuery::new(&delivery::DEAD_LETTERS_OF_APP, f.app_id.clone()),
    };
    q.and_time("d.updated_at", f.failed_before, f.failed_after);
    if let Some(since) = f.created_since {
        let p = q.param(since);
        q.and(&format!("d.created_at >= {p}"));
    }
    if let Some(until) = f.created_until {
        let p = q.param(until);
        q.and(&format!("d.created_at < {p}"));
    }
    q.and_in("m.event_type", &f.event_types);
    if let Some(code) = f.status_code {
        let p = q.param(code);
        q.and(&format!("la.response_status_code = {p}"));
    }
    if let Some(class) = f.status_code_class {
        let (lo, hi) = class_range(class);
        let (lo, hi) = (q.param(lo), q.param(hi));
        q.and(&format!(
            "la.response_status_code >= {lo} AND la.response_status_code < {hi}"
        ));
    }
    q.fetch(&c, "d.id", &page, dead_letter_at).await
}

/// Adds the bulk replay's filters to a query started from `replayable.sql` or
/// `count_replayable.sql`.
fn replay_filters(q: &mut ListQuery, sel: &ReplaySelection) {
    // Message ids start with their creation time: the id range narrows the index walk to
    // the window; the creation-time terms keep it exact.
    let lo = q.param(ids::lower_bound(ids::MESSAGE, sel.since));
    let hi = q.param(ids::lower_bound(ids::MESSAGE, sel.until.saturating_add(1)));
    let (since, until, by) = (
        q.param(sel.since),
        q.param(sel.until),
        q.param(sel.finished_by),
    );
    q.and(&format!(
        "d.msg_id >= {lo} AND d.msg_id < {hi} \
         AND m.created_at >= {since} AND m.created_at < {until} AND d.updated_at <= {by}"
    ));
    q.and_in("m.event_type", &sel.event_types);
    if let Some(ch) = &sel.channel {
        let p = q.param(ch.clone());
        q.and(&format!("m.channels::jsonb ? {p}"));
    }
    if let Some(tag) = &sel.tag {
        let p = q.param(tag.clone());
        q.and(&format!(
            "EXISTS (SELECT 1 FROM message_tag mt \
             WHERE mt.app_id = m.app_id AND mt.tag = {p} AND mt.msg_id = m.id)"
        ));
    }
    if let Some(st) = sel.status {
        let p = q.param(st as i32);
        q.and(&format!("d.status = {p}"));
    }
    if let Some(class) = sel.status_code_class {
        let (lo, hi) = class_range(class);
        let (lo, hi) = (q.param(lo), q.param(hi));
        q.and(&format!(
            "EXISTS (SELECT 1 FROM attempt la WHERE la.id = (SELECT a.id FROM attempt a \
             WHERE a.msg_id = d.msg_id AND a.endpoint_id = d.endpoint_id \
             ORDER BY a.id DESC LIMIT 1) \
             AND la.response_status_code >= {lo} AND la.response_status_code < {hi})"
        ));
    }
}

pub(super) async fn list_replayable(
    s: &PgStore,
    endpoint_id: &str,
    sel: ReplaySelection,
    after: Option<String>,
    limit: usize,
) -> StoreResult<Vec<(String, String)>> {
    let c = s.client().await?;
    let mut q = ListQuery::new(&delivery::REPLAYABLE, endpoint_id.to_string());
    replay_filters(&mut q, &sel);
    let page = Page {
        limit,
        iterator: after,
        backwards: false,
        order: Order::Ascending,
    };
    Ok(
        q.fetch(&c, "d.msg_id", &page, |r| Ok((col(r, 0)?, col(r, 1)?)))
            .await?
            .items,
    )
}

pub(super) async fn count_replayable(
    s: &PgStore,
    endpoint_id: &str,
    sel: ReplaySelection,
) -> StoreResult<u64> {
    let c = s.client().await?;
    let mut q = ListQuery::new(&delivery::COUNT_REPLAYABLE, endpoint_id.to_string());
    replay_filters(&mut q, &sel);
    q.count(&c).await
}

pub(super) async fn list_message_heads(
    s: &PgStore,
    app_id: &str,
    since: Millis,
    until: Millis,
    after: Option<String>,
    limit: usize,
) -> StoreResult<Vec<MessageHead>> {
    let c = s.client().await?;
    let limit = limit.clamp(1, 250) as i64;
    let rows = query(
        &c,
        &message::HEADS,
        &[&app_id, &since, &until, &after, &limit],
    )
    .await?;
    rows.iter()
        .map(|r| {
            let channels: Option<String> = col(r, 2)?;
            let expunged_at: Option<i64> = col(r, 4)?;
            Ok(MessageHead {
                id: col(r, 0)?,
                event_type: col(r, 1)?,
                channels: channels.and_then(|t| serde_json::from_str(&t).ok()),
                created_at: col(r, 3)?,
                expunged: expunged_at.is_some(),
            })
        })
        .collect()
}

pub(super) async fn app_usage(
    s: &PgStore,
    app_id: &str,
    since: Millis,
    until: Millis,
) -> StoreResult<AppUsage> {
    let c = s.client().await?;
    let mut usage = AppUsage::default();
    for (sql, out) in [
        (&message::COUNT_OF_APP, &mut usage.messages),
        (&delivery::COUNT_OF_APP, &mut usage.message_destinations),
    ] {
        let n: i64 = match query_opt(&c, sql, &[&app_id, &since, &until]).await? {
            Some(r) => col(&r, 0)?,
            None => 0,
        };
        *out = n.max(0) as u64;
    }
    for r in query(&c, &attempt::COUNT_OF_APP, &[&app_id, &since, &until]).await? {
        let (status, n): (i32, i64) = (col(&r, 0)?, col(&r, 1)?);
        let n = n.max(0) as u64;
        match DeliveryStatus::from_i64(status.into()) {
            Some(DeliveryStatus::Success) => usage.attempts_success += n,
            _ => usage.attempts_fail += n,
        }
    }
    Ok(usage)
}
