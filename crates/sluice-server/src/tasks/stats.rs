//! The `application.stats` task: per application, the usage counts of a window, a few
//! applications per batch, appended to `data.appStats`.

use serde_json::json;
use sluice_store::{ClaimedTask, Order, Page, Store, TaskAction, TaskStatus, TaskStep};

use super::kinds::{bump, params, StepError, WindowParams};

/// Applications one batch counts.
const APPS_PER_BATCH: usize = 20;

/// One batch of a usage-stats task: up to [`APPS_PER_BATCH`] applications counted and
/// appended to `data.appStats`.
pub(super) async fn next_step(store: &dyn Store, c: &ClaimedTask) -> Result<TaskStep, StepError> {
    let task = &c.task;
    let p: WindowParams = params(&task.params)?;
    let (apps, cursor, last) = match &p.app_ids {
        // Resolved at creation; the cursor is how many are done.
        Some(list) => {
            let done: usize = task
                .cursor
                .as_deref()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let end = (done + APPS_PER_BATCH).min(list.len());
            let mut apps = Vec::new();
            for id in &list[done.min(end)..end] {
                if let Some(app) = store.get_app(&task.org_id, id).await? {
                    apps.push(app);
                }
            }
            (apps, end.to_string(), end == list.len())
        }
        None => {
            let page = Page {
                limit: APPS_PER_BATCH,
                iterator: task.cursor.clone(),
                backwards: false,
                order: Order::Ascending,
            };
            let listed = store.list_apps(&task.org_id, page).await?;
            let cursor = listed
                .items
                .last()
                .map(|a| a.id.clone())
                .or(task.cursor.clone())
                .unwrap_or_default();
            (listed.items, cursor, !listed.has_more)
        }
    };
    let mut rows = Vec::new();
    for app in &apps {
        let u = store.app_usage(&app.id, p.since, p.until).await?;
        rows.push(json!({
            "appId": app.id,
            "appUid": app.uid,
            "messageDestinations": u.message_destinations,
            "messages": u.messages,
            "attempts": u.attempts_success + u.attempts_fail,
            "successfulAttempts": u.attempts_success,
            "failedAttempts": u.attempts_fail,
        }));
    }
    let n = rows.len() as u64;
    Ok(TaskStep {
        task_id: task.id.clone(),
        token: c.token,
        cursor: Some(cursor),
        action: TaskAction::None,
        data: Box::new(move |d, _| {
            if !d["appStats"].is_array() {
                d["appStats"] = json!([]);
            }
            if let Some(list) = d["appStats"].as_array_mut() {
                list.extend(rows);
            }
            bump(d, "processed", n);
        }),
        finish: last.then_some(TaskStatus::Finished),
    })
}
