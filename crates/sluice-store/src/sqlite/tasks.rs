//! Background tasks: the task rows (create, read, list, claim) and the fenced batch write
//! ([`advance_task`]) whose action and cursor commit together.

use rusqlite::types::Value;
use rusqlite::{params, Connection};
use sluice_core::model::DeliveryStatus;
use sluice_core::{ids, Millis};

use super::db::{exec, query_opt};
use super::expunge::expunge_message;
use super::page::ListQuery;
use super::queries::{background_task, delivery, message};
use super::rows::{backend, task_at, to_json, TASK_NCOLS};
use crate::{
    ClaimedTask, Listed, Page, StoreError, StoreResult, Task, TaskAction, TaskFilter, TaskStatus,
    TaskStep,
};

pub(crate) fn create_task(c: &Connection, t: &Task) -> StoreResult<()> {
    exec(
        c,
        &background_task::INSERT,
        params![
            t.id,
            t.org_id,
            t.app_id,
            t.endpoint_id,
            t.kind,
            t.status as i64,
            to_json(&t.params)?,
            to_json(&t.data)?,
            t.cursor,
            t.created_at,
            t.updated_at
        ],
    )?;
    Ok(())
}

pub(crate) fn get_task(c: &Connection, org_id: &str, id: &str) -> StoreResult<Option<Task>> {
    query_opt(c, &background_task::GET, params![org_id, id], |r| {
        task_at(r, 0)
    })
}

pub(crate) fn list_tasks(
    c: &Connection,
    org_id: &str,
    f: &TaskFilter,
    page: &Page,
) -> StoreResult<Listed<Task>> {
    let mut q = ListQuery::new(background_task::LIST.text(), org_id.to_string());
    if let Some(s) = f.status {
        q.and("k.status = ?", [Value::Integer(s as i64)]);
    }
    if let Some(kind) = &f.kind {
        q.and("k.kind = ?", [Value::Text(kind.clone())]);
    }
    q.fetch(c, "k.id", page, |r| task_at(r, 0))
}

/// Leases the oldest claimable task (run on the writer, so claims are serialised).
pub(crate) fn claim_task(
    c: &Connection,
    holder: &str,
    now: Millis,
    lease_ms: Millis,
) -> StoreResult<Option<ClaimedTask>> {
    let Some(id) = query_opt(c, &background_task::CLAIMABLE, [now], |r| {
        r.get::<_, String>(0)
    })?
    else {
        return Ok(None);
    };
    let until = now.saturating_add(lease_ms);
    query_opt(
        c,
        &background_task::LEASE,
        params![id, holder, until],
        |r| {
            Ok(ClaimedTask {
                task: task_at(r, 0)?,
                token: r.get(TASK_NCOLS)?,
            })
        },
    )
}

/// Applies one batch if the task still runs under the step's token; returns the number of
/// items changed and whether deliveries became due.
pub(crate) fn advance_task(
    c: &Connection,
    step: TaskStep,
    now: Millis,
    lease_ms: Millis,
) -> StoreResult<Option<(u64, bool)>> {
    let Some(data) = query_opt(
        c,
        &background_task::FENCED_DATA,
        params![step.task_id, step.token],
        |r| r.get::<_, String>(0),
    )?
    else {
        return Ok(None);
    };
    let mut data: serde_json::Value = serde_json::from_str(&data).map_err(backend)?;
    let (n, due) = apply(c, &step.action, now)?;
    (step.data)(&mut data, n);
    let status = step.finish.unwrap_or(TaskStatus::Running);
    let lease_until = step.finish.is_none().then(|| now.saturating_add(lease_ms));
    exec(
        c,
        &background_task::ADVANCE,
        params![
            step.task_id,
            step.cursor,
            to_json(&data)?,
            status as i64,
            lease_until,
            now
        ],
    )?;
    Ok(Some((n, due)))
}

/// Bit set of delivery states, as `requeue.sql` tests them (`1 << status`).
fn state_bits(states: &[DeliveryStatus]) -> i64 {
    states.iter().fold(0, |bits, s| bits | (1 << *s as i64))
}

/// Runs a step's action; returns how many items it changed and whether any delivery
/// became due.
fn apply(c: &Connection, action: &TaskAction, now: Millis) -> StoreResult<(u64, bool)> {
    let mut n = 0u64;
    match action {
        TaskAction::None => return Ok((0, false)),
        TaskAction::Requeue { delivery_ids, from } => {
            let bits = state_bits(from);
            for id in delivery_ids {
                n += exec(c, &delivery::REQUEUE, params![id, now, bits])? as u64;
            }
        }
        TaskAction::CreateDeliveries {
            app_id,
            endpoint_id,
            msg_ids,
        } => {
            for msg_id in msg_ids {
                let id = ids::new_id(ids::DELIVERY, now);
                n += exec(
                    c,
                    &delivery::INSERT_MISSING,
                    params![id, msg_id, endpoint_id, app_id, now],
                )? as u64;
            }
        }
        TaskAction::Expunge { app_id, msg_ids } => {
            return Ok((expunge_batch(c, app_id, msg_ids, now)?, false));
        }
    }
    Ok((n, n > 0))
}

pub(crate) fn purge_tasks(c: &Connection, ended_before: Millis) -> StoreResult<u64> {
    Ok(exec(c, &background_task::PURGE, [ended_before])? as u64)
}

/// Expunges each listed message of `app_id` that still has its payload (as
/// [`expunge_message`] does), inside the caller's write; returns how many.
pub(crate) fn expunge_batch(
    c: &Connection,
    app_id: &str,
    msg_ids: &[String],
    now: Millis,
) -> StoreResult<u64> {
    let mut n = 0;
    for msg_id in msg_ids {
        let expunged: Option<Option<i64>> =
            query_opt(c, &message::APP_AND_EXPUNGED, [msg_id], |r| r.get(1))?;
        // Already expunged, or gone: nothing to do.
        if expunged != Some(None) {
            continue;
        }
        match expunge_message(c, app_id, msg_id, now) {
            Ok(()) => n += 1,
            // Another application's message: not this one's to expunge.
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
