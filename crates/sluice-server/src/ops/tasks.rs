//! Background tasks as the organisation sees them (list, get), and the operations on a
//! whole application or organisation that run as one: expunge every payload of an
//! application, usage statistics. Also the bounded bulk expunge, which runs in the request.

use std::collections::BTreeMap;

use serde_json::json;
use sluice_core::Millis;
use sluice_store::{Listed, Page, Task, TaskFilter};

use super::scope::{load_app, org_of, Scope};
use super::{Ctx, Error, Result};
use crate::auth::Caller;
use crate::tasks::kinds::WindowParams;
use crate::tasks::{count_status, new_task, Kind};

/// Most message ids one bulk expunge takes.
pub const MAX_BULK_EXPUNGE: usize = 100;
/// Most application ids one usage-stats request names.
pub const MAX_STATS_APPS: usize = 250;

/// A task of the caller's organisation (org tokens only).
pub async fn get(ctx: Ctx<'_>, caller: &Caller, task_id: &str) -> Result<Task> {
    let org = org_of(caller)?;
    ctx.store
        .get_task(org, task_id)
        .await?
        .ok_or(Error::NotFound("Background task not found"))
}

/// Tasks of the caller's organisation (org tokens only).
pub async fn list(
    ctx: Ctx<'_>,
    caller: &Caller,
    filter: TaskFilter,
    page: Page,
) -> Result<Listed<Task>> {
    let org = org_of(caller)?;
    Ok(ctx.store.list_tasks(org, filter, page).await?)
}

/// Stores a new task and counts it as running (the runner picks it up).
pub(super) async fn start(ctx: Ctx<'_>, task: Task) -> Result<Task> {
    ctx.store.create_task(task.clone()).await?;
    // A redrive to an endpoint is the operator saying its receiver is fixed: an open
    // circuit probes now rather than after its cool-down (the probe still goes first).
    if let Some(ep) = &task.endpoint_id {
        if ctx.store.probe_circuit_now(ep, task.created_at).await? {
            tracing::info!(endpoint_id = %ep, task = %task.id, "circuit probes now for a redrive");
        }
    }
    count_status(&task.kind, task.status);
    tracing::info!(task = %task.id, kind = %task.kind, "background task created");
    Ok(task)
}

/// Starts an `application.purge_content` task: every message of the application created
/// up to now loses its payload, as `DELETE …/msg/{id}/content` does, in batches. Org
/// tokens only: it destroys data.
pub async fn expunge_all(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    now: Millis,
) -> Result<Task> {
    let app = load_app(ctx, caller, app_key, Scope::Org).await?;
    let task = new_task(
        &app.org_id,
        Some(&app.id),
        None,
        Kind::PurgeContent,
        json!({}),
        json!({"messagesPurged": 0, "processed": 0}),
        now,
    );
    start(ctx, task).await
}

/// What a bulk expunge did to one id (Svix's `BulkExpungeStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expunged {
    /// The payload is gone (now, or it already was).
    Expunged,
    /// The application has no such message.
    NotFound,
}

/// Expunges the payloads of the listed messages (ids or event ids) of the application,
/// at most [`MAX_BULK_EXPUNGE`]; the answer says what happened to each id as given. Org
/// tokens only.
pub async fn bulk_expunge(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ids: Vec<String>,
    now: Millis,
) -> Result<BTreeMap<String, Expunged>> {
    let app = load_app(ctx, caller, app_key, Scope::Org).await?;
    if ids.len() > MAX_BULK_EXPUNGE {
        return Err(Error::invalid(
            &["body", "ids"],
            format!("at most {MAX_BULK_EXPUNGE} ids per request"),
        ));
    }
    // Resolve first (reads), then expunge every found message in one write.
    let mut out = BTreeMap::new();
    let mut found = Vec::new();
    for key in ids {
        if out.contains_key(&key) {
            continue;
        }
        let status = match ctx.store.get_message(&app.id, &key).await? {
            None => Expunged::NotFound,
            Some(msg) => {
                found.push(msg.id);
                Expunged::Expunged
            }
        };
        out.insert(key, status);
    }
    if !found.is_empty() {
        let n = ctx
            .store
            .expunge_messages_content(&app.id, found, now)
            .await?;
        metrics::counter!("sluice_expunged_payloads_total", "why" => "request").increment(n);
    }
    Ok(out)
}

/// Starts an `application.stats` task over `[since, until)` for the listed applications
/// (ids or uids) or, without a list, every application of the org. Returns the task and
/// the names that matched no application; when none matched, that is invalid (Svix's
/// 422). Org tokens only.
pub async fn app_usage(
    ctx: Ctx<'_>,
    caller: &Caller,
    since: Millis,
    until: Millis,
    app_ids: Option<Vec<String>>,
    now: Millis,
) -> Result<(Task, Vec<String>)> {
    let org = org_of(caller)?.to_string();
    if since >= until {
        return Err(Error::invalid(&["body", "since"], "must be before until"));
    }
    let mut unresolved = Vec::new();
    let resolved = match app_ids {
        None => None,
        Some(names) => {
            if names.len() > MAX_STATS_APPS {
                return Err(Error::invalid(
                    &["body", "appIds"],
                    format!("at most {MAX_STATS_APPS} applications per request"),
                ));
            }
            let mut ids = Vec::new();
            for name in names {
                match ctx.store.get_app(&org, &name).await? {
                    Some(app) if !ids.contains(&app.id) => ids.push(app.id),
                    Some(_) => {}
                    None => unresolved.push(name),
                }
            }
            if ids.is_empty() {
                return Err(Error::invalid(
                    &["body", "appIds"],
                    "none of the given applications exist",
                ));
            }
            Some(ids)
        }
    };
    let params = WindowParams {
        since,
        until,
        app_ids: resolved,
    };
    let task = new_task(
        &org,
        None,
        None,
        Kind::AppStats,
        serde_json::to_value(&params).map_err(Error::internal)?,
        json!({"appStats": [], "processed": 0}),
        now,
    );
    Ok((start(ctx, task).await?, unresolved))
}
