//! The task types, their parameters, and how each computes its next batch.
//!
//! Every batch reads at most `batch` items after the task's cursor and turns them into
//! one [`TaskStep`]; the runner hands the step to the store, which applies it under the
//! lease. A selection never depends on anything the task itself changed: re-sends are
//! bounded to deliveries finished before the task was created and walk forward by message
//! id, replay-missing and purge walk the application's messages by id.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sluice_core::filter::endpoint_matches;
use sluice_core::model::DeliveryStatus;
use sluice_core::{ids, Millis};
use sluice_store::{
    ClaimedTask, ReplaySelection, Store, StoreError, TaskAction, TaskStatus, TaskStep,
};

/// A task type, with Svix's `BackgroundTaskType` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Re-send an endpoint's failed deliveries of a window.
    Recover,
    /// Send an endpoint the messages of a window it never got.
    ReplayMissing,
    /// Re-send an endpoint's finished deliveries matching filters.
    BulkReplay,
    /// Expunge every payload of an application.
    PurgeContent,
    /// Count usage of applications over a window.
    AppStats,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Recover,
        Kind::ReplayMissing,
        Kind::BulkReplay,
        Kind::PurgeContent,
        Kind::AppStats,
    ];

    /// Svix's name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Recover => "endpoint.recover",
            Kind::ReplayMissing => "endpoint.replay",
            Kind::BulkReplay => "endpoint.bulk-replay",
            Kind::PurgeContent => "application.purge_content",
            Kind::AppStats => "application.stats",
        }
    }

    /// From Svix's name.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether its batches re-send deliveries (counted in `sluice_redriven_deliveries_total`).
    pub fn redrives(self) -> bool {
        matches!(self, Kind::Recover | Kind::ReplayMissing | Kind::BulkReplay)
    }
}

/// What a recover or bulk replay re-sends (stored as the task's `params`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReplayParams {
    /// Messages created at or after this time.
    pub since: Millis,
    /// Messages created before this time.
    pub until: Millis,
    /// Only these event types (empty: all).
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Only messages on this channel.
    #[serde(default)]
    pub channel: Option<String>,
    /// Only messages with this tag.
    #[serde(default)]
    pub tag: Option<String>,
    /// Only deliveries in this state (stored number).
    #[serde(default)]
    pub status: Option<i64>,
    /// Only where the last attempt's code is in this class.
    #[serde(default)]
    pub status_code_class: Option<i32>,
}

impl ReplayParams {
    /// The store's selection for a task created at `created_at`.
    pub fn selection(&self, created_at: Millis) -> ReplaySelection {
        ReplaySelection {
            since: self.since,
            until: self.until,
            finished_by: created_at,
            event_types: self.event_types.clone(),
            channel: self.channel.clone(),
            tag: self.tag.clone(),
            status: self.status.and_then(DeliveryStatus::from_i64),
            status_code_class: self.status_code_class,
        }
    }
}

/// A window of messages (replay-missing, usage stats).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WindowParams {
    /// Start (inclusive).
    pub since: Millis,
    /// End (exclusive).
    pub until: Millis,
    /// Applications to count (usage stats; `None`: every application of the org).
    #[serde(default)]
    pub app_ids: Option<Vec<String>>,
}

/// Why a batch could not be computed.
#[derive(Debug)]
pub enum StepError {
    /// The store failed; the task is left to be claimed again.
    Store(StoreError),
    /// The task cannot go on (its endpoint was deleted, its parameters are unreadable):
    /// it ends as failed, with this reason in `data.error`.
    Fatal(String),
}

impl From<StoreError> for StepError {
    fn from(e: StoreError) -> Self {
        StepError::Store(e)
    }
}

/// The task's parameters as `T`.
pub(super) fn params<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, StepError> {
    serde_json::from_value(v.clone()).map_err(|e| StepError::Fatal(format!("bad params: {e}")))
}

/// Adds `by` to the number at `data[key]`.
pub(super) fn bump(data: &mut Value, key: &str, by: u64) {
    let before = data[key].as_u64().unwrap_or(0);
    data[key] = json!(before + by);
}

/// A step that records `processed` items handled and the action's count under `counter`.
fn counted(
    c: &ClaimedTask,
    cursor: Option<String>,
    action: TaskAction,
    processed: usize,
    counter: &'static str,
    last: bool,
) -> TaskStep {
    TaskStep {
        task_id: c.task.id.clone(),
        token: c.token,
        cursor,
        action,
        data: Box::new(move |d, n| {
            bump(d, counter, n);
            bump(d, "processed", processed as u64);
        }),
        finish: last.then_some(TaskStatus::Finished),
    }
}

/// The next batch of the claimed task (whose `cursor` is where it stands).
///
/// `batch` (the `task_batch_size` setting, default 200) is the most items one step
/// handles: large enough that a recover of 10,000 dead letters is 50 short transactions,
/// small enough that each is quick and the re-queued deliveries enter the queue in steps
/// that the dispatcher's claim (per-endpoint concurrency and rate) paces.
pub async fn next_step(
    store: &dyn Store,
    c: &ClaimedTask,
    batch: usize,
) -> Result<TaskStep, StepError> {
    let task = &c.task;
    let kind = Kind::parse(&task.kind)
        .ok_or_else(|| StepError::Fatal(format!("unknown task type {}", task.kind)))?;
    let app_id = task.app_id.clone().unwrap_or_default();
    let endpoint_id = task.endpoint_id.clone().unwrap_or_default();
    match kind {
        Kind::Recover | Kind::BulkReplay => {
            let p: ReplayParams = params(&task.params)?;
            let after = task
                .cursor
                .clone()
                .unwrap_or_else(|| ids::lower_bound(ids::MESSAGE, p.since));
            let found = store
                .list_replayable(
                    &endpoint_id,
                    p.selection(task.created_at),
                    Some(after.clone()),
                    batch,
                )
                .await?;
            let last = found.len() < batch;
            let cursor = found.last().map(|(_, m)| m.clone()).unwrap_or(after);
            let from = match kind {
                Kind::Recover => vec![DeliveryStatus::Fail],
                _ => vec![DeliveryStatus::Success, DeliveryStatus::Fail],
            };
            let n = found.len();
            let action = TaskAction::Requeue {
                delivery_ids: found.into_iter().map(|(d, _)| d).collect(),
                from,
            };
            Ok(counted(c, Some(cursor), action, n, "messagesSent", last))
        }
        Kind::ReplayMissing => {
            let p: WindowParams = params(&task.params)?;
            let ep = store
                .get_endpoint(&app_id, &endpoint_id)
                .await?
                .ok_or_else(|| StepError::Fatal("the endpoint was deleted".into()))?;
            // Ids start with their creation time: the first batch starts at the window.
            let after = task
                .cursor
                .clone()
                .unwrap_or_else(|| ids::lower_bound(ids::MESSAGE, p.since));
            let heads = store
                .list_message_heads(&app_id, p.since, p.until, Some(after), batch)
                .await?;
            let last = heads.len() < batch;
            let cursor = heads.last().map(|h| h.id.clone()).or(task.cursor.clone());
            let n = heads.len();
            let msg_ids = heads
                .into_iter()
                .filter(|h| {
                    !h.expunged
                        && endpoint_matches(
                            ep.event_types.as_deref(),
                            ep.channels.as_deref(),
                            &h.event_type,
                            h.channels.as_deref(),
                        )
                })
                .map(|h| h.id)
                .collect();
            let action = TaskAction::CreateDeliveries {
                app_id,
                endpoint_id,
                msg_ids,
            };
            Ok(counted(c, cursor, action, n, "messagesSent", last))
        }
        Kind::PurgeContent => {
            // Messages published after the request are not part of it.
            let until = task.created_at.saturating_add(1);
            let heads = store
                .list_message_heads(&app_id, 0, until, task.cursor.clone(), batch)
                .await?;
            let last = heads.len() < batch;
            let cursor = heads.last().map(|h| h.id.clone()).or(task.cursor.clone());
            let n = heads.len();
            let msg_ids = heads
                .into_iter()
                .filter(|h| !h.expunged)
                .map(|h| h.id)
                .collect();
            let action = TaskAction::Expunge { app_id, msg_ids };
            Ok(counted(c, cursor, action, n, "messagesPurged", last))
        }
        Kind::AppStats => super::stats::next_step(store, c).await,
    }
}
