//! Background tasks: the task rows (create, read, list, claim) and the fenced batch write
//! ([`advance_task`]) whose action and cursor commit in one transaction. A claim leases
//! with `FOR UPDATE SKIP LOCKED`, so nodes claiming at once take different tasks; a batch
//! holds the task row (`FOR UPDATE`) from its fence check to its commit, so a claim by
//! another node cannot slip in between.

use sluice_core::model::DeliveryStatus;
use sluice_core::{ids, Millis};

use super::db::{exec, query_opt};
use super::errors::pg;
use super::expunge::expunge_in;
use super::page::ListQuery;
use super::queries::{background_task, delivery, message};
use super::rows::{backend, col, task_at, to_json, TASK_NCOLS};
use super::PgStore;
use crate::{
    ClaimedTask, Listed, Page, StoreResult, Task, TaskAction, TaskFilter, TaskStatus, TaskStep,
};

pub(super) async fn create_task(s: &PgStore, t: &Task) -> StoreResult<()> {
    let c = s.client().await?;
    let status = t.status as i32;
    let (params, data) = (to_json(&t.params)?, to_json(&t.data)?);
    exec(
        &c,
        &background_task::INSERT,
        &[
            &t.id,
            &t.org_id,
            &t.app_id,
            &t.endpoint_id,
            &t.kind,
            &status,
            &params,
            &data,
            &t.cursor,
            &t.created_at,
            &t.updated_at,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn get_task(s: &PgStore, org_id: &str, id: &str) -> StoreResult<Option<Task>> {
    let c = s.client().await?;
    query_opt(&c, &background_task::GET, &[&org_id, &id])
        .await?
        .map(|r| task_at(&r, 0))
        .transpose()
}

pub(super) async fn list_tasks(
    s: &PgStore,
    org_id: &str,
    f: TaskFilter,
    page: Page,
) -> StoreResult<Listed<Task>> {
    let c = s.client().await?;
    let mut q = ListQuery::new(&background_task::LIST, org_id.to_string());
    if let Some(st) = f.status {
        let p = q.param(st as i32);
        q.and(&format!("k.status = {p}"));
    }
    if let Some(kind) = f.kind {
        let p = q.param(kind);
        q.and(&format!("k.kind = {p}"));
    }
    q.fetch(&c, "k.id", &page, |r| task_at(r, 0)).await
}

pub(super) async fn claim_task(
    s: &PgStore,
    holder: &str,
    now: Millis,
    lease_ms: Millis,
) -> StoreResult<Option<ClaimedTask>> {
    let c = s.client().await?;
    let until = now.saturating_add(lease_ms);
    query_opt(&c, &background_task::CLAIM, &[&now, &holder, &until])
        .await?
        .map(|r| {
            Ok(ClaimedTask {
                task: task_at(&r, 0)?,
                token: col(&r, TASK_NCOLS)?,
            })
        })
        .transpose()
}

pub(super) async fn advance_task(
    s: &PgStore,
    step: TaskStep,
    now: Millis,
    lease_ms: Millis,
) -> StoreResult<Option<u64>> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let Some(row) = query_opt(
        &tx,
        &background_task::FENCED_DATA,
        &[&step.task_id, &step.token],
    )
    .await?
    else {
        return Ok(None);
    };
    let text: String = col(&row, 0)?;
    let mut data: serde_json::Value = serde_json::from_str(&text).map_err(backend)?;
    let (n, due) = apply(&tx, &step.action, now).await?;
    (step.data)(&mut data, n);
    let status = step.finish.unwrap_or(TaskStatus::Running) as i32;
    let lease_until = step.finish.is_none().then(|| now.saturating_add(lease_ms));
    let data = to_json(&data)?;
    exec(
        &tx,
        &background_task::ADVANCE,
        &[
            &step.task_id,
            &step.cursor,
            &data,
            &status,
            &lease_until,
            &now,
        ],
    )
    .await?;
    tx.commit().await.map_err(pg)?;
    if due {
        s.committed_work();
    }
    Ok(Some(n))
}

/// Runs a step's action; returns how many items it changed and whether any delivery
/// became due.
async fn apply(
    tx: &deadpool_postgres::Transaction<'_>,
    action: &TaskAction,
    now: Millis,
) -> StoreResult<(u64, bool)> {
    let n = match action {
        TaskAction::None => 0,
        TaskAction::Requeue { delivery_ids, from } => {
            let from: Vec<i32> = from.iter().map(|s: &DeliveryStatus| *s as i32).collect();
            exec(tx, &delivery::REQUEUE, &[delivery_ids, &now, &from]).await?
        }
        TaskAction::CreateDeliveries {
            app_id,
            endpoint_id,
            msg_ids,
        } => {
            let new_ids: Vec<String> = msg_ids
                .iter()
                .map(|_| ids::new_id(ids::DELIVERY, now))
                .collect();
            exec(
                tx,
                &delivery::INSERT_MISSING,
                &[&new_ids, msg_ids, endpoint_id, app_id, &now],
            )
            .await?
        }
        TaskAction::Expunge { app_id, msg_ids } => {
            return Ok((expunge_batch(tx, app_id, msg_ids, now).await?, false));
        }
    };
    Ok((n, n > 0))
}

pub(super) async fn purge_tasks(s: &PgStore, ended_before: Millis) -> StoreResult<u64> {
    let c = s.client().await?;
    exec(&c, &background_task::PURGE, &[&ended_before]).await
}

/// Expunges each listed message of `app_id` that still has its payload (as
/// [`expunge_in`] does), inside the caller's transaction; returns how many.
pub(super) async fn expunge_batch(
    tx: &deadpool_postgres::Transaction<'_>,
    app_id: &str,
    msg_ids: &[String],
    now: Millis,
) -> StoreResult<u64> {
    let mut n = 0;
    for msg_id in msg_ids {
        let row = query_opt(tx, &message::APP_AND_EXPUNGED, &[msg_id]).await?;
        let fresh = match row {
            Some(r) => col::<Option<i64>>(&r, 1)?.is_none(),
            None => false,
        };
        if fresh && expunge_in(tx, app_id, msg_id, now).await? {
            n += 1;
        }
    }
    Ok(n)
}

/// [`expunge_batch`] in a transaction of its own.
pub(super) async fn expunge_messages(
    s: &PgStore,
    app_id: &str,
    msg_ids: &[String],
    now: Millis,
) -> StoreResult<u64> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let n = expunge_batch(&tx, app_id, msg_ids, now).await?;
    tx.commit().await.map_err(pg)?;
    Ok(n)
}
