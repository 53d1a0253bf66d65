//! Bodies of the background-task routes (Svix's `RecoverIn/Out`, `ReplayIn/Out`,
//! `BulkReplayIn`, `BackgroundTaskOut`, `ExpungeAllContentsOut`, `BulkExpungeContentsIn/Out`,
//! `AppUsageStatsIn/Out`) and of Sluice's dead-letter lists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sluice_store::{DeadLetter, Task};

use super::ts;

/// `RecoverIn` and `ReplayIn`: RFC 3339 bounds of the window.
#[derive(Debug, Deserialize)]
pub struct WindowIn {
    /// Start (inclusive).
    pub since: String,
    /// End (exclusive); now when absent.
    #[serde(default)]
    pub until: Option<String>,
}

/// `BulkReplayIn`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkReplayIn {
    /// Start (inclusive) of the messages' creation window.
    pub since: String,
    /// End (exclusive); now when absent.
    #[serde(default)]
    pub until: Option<String>,
    /// Only these event types.
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    /// Only messages on this channel.
    #[serde(default)]
    pub channel: Option<String>,
    /// Only messages with this tag.
    #[serde(default)]
    pub tag: Option<String>,
    /// Only deliveries in this `MessageStatus` (0 success, 2 fail, …).
    #[serde(default)]
    pub status: Option<i64>,
    /// Only where the last attempt's code is in this `StatusCodeClass`.
    #[serde(default)]
    pub status_code_class: Option<i32>,
}

/// `RecoverOut`, `ReplayOut`, `ExpungeAllContentsOut`: a task as just created.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStartedOut {
    /// `qtask_…`
    pub id: String,
    /// `BackgroundTaskStatus`.
    pub status: &'static str,
    /// `BackgroundTaskType`.
    pub task: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&Task> for TaskStartedOut {
    fn from(t: &Task) -> Self {
        Self {
            id: t.id.clone(),
            status: t.status.text(),
            task: t.kind.clone(),
            updated_at: ts(t.updated_at),
        }
    }
}

/// `BackgroundTaskOut`: `data` holds the progress (`processed`, `total` where known) and
/// the results (`messagesSent`, `messagesPurged`, `appStats`), or `error` if it failed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackgroundTaskOut {
    /// Progress and results.
    pub data: Value,
    /// `qtask_…`
    pub id: String,
    /// `BackgroundTaskStatus`.
    pub status: &'static str,
    /// `BackgroundTaskType`.
    pub task: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<Task> for BackgroundTaskOut {
    fn from(t: Task) -> Self {
        Self {
            id: t.id,
            status: t.status.text(),
            task: t.kind,
            updated_at: ts(t.updated_at),
            data: t.data,
        }
    }
}

/// Sluice's answer to a bulk replay's dry run: how many deliveries it would re-send.
#[derive(Debug, Serialize)]
pub struct ReplayCountOut {
    /// Deliveries the replay would re-send now.
    pub count: u64,
}

/// `BulkExpungeContentsIn`.
#[derive(Debug, Deserialize)]
pub struct BulkExpungeContentsIn {
    /// Message ids or event ids.
    #[serde(default)]
    pub ids: Option<Vec<String>>,
}

/// `BulkExpungeContentsOut`: `expunged` or `not-found` per id as given.
#[derive(Debug, Serialize)]
pub struct BulkExpungeContentsOut {
    /// By id.
    pub results: BTreeMap<String, &'static str>,
}

/// `AppUsageStatsIn`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppUsageStatsIn {
    /// Start (inclusive).
    pub since: String,
    /// End (exclusive).
    pub until: String,
    /// Application ids or uids (every application of the org when absent).
    #[serde(default)]
    pub app_ids: Option<Vec<String>>,
}

/// `AppUsageStatsOut`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppUsageStatsOut {
    /// `qtask_…`
    pub id: String,
    /// `BackgroundTaskStatus`.
    pub status: &'static str,
    /// `BackgroundTaskType`.
    pub task: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Names in the request that matched no application.
    pub unresolved_app_ids: Vec<String>,
}

/// The last attempt of a dead letter.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastAttemptOut {
    /// `atmpt_…`
    pub id: String,
    /// RFC 3339.
    pub timestamp: String,
    /// 0 when nothing came back.
    pub response_status_code: i32,
    /// The outcome class (`transient`, `throttled`, …), when recorded.
    pub error_class: Option<String>,
}

/// Sluice's `DeadLetterOut`: one exhausted delivery.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterOut {
    /// The delivery (`msgep_…`): the list's cursor.
    pub id: String,
    /// `msg_…`
    pub msg_id: String,
    /// The message's `eventId`.
    pub event_id: Option<String>,
    /// The message's event type.
    pub event_type: String,
    /// `ep_…`
    pub endpoint_id: String,
    /// Tries made (all rounds).
    pub attempts: u32,
    /// When the delivery was created (RFC 3339).
    pub created_at: String,
    /// When it failed for good (RFC 3339).
    pub failed_at: String,
    /// Whether its payload was expunged (then it cannot be re-sent).
    pub payload_expunged: bool,
    /// Its last attempt, if any was made.
    pub last_attempt: Option<LastAttemptOut>,
}

impl From<DeadLetter> for DeadLetterOut {
    fn from(d: DeadLetter) -> Self {
        Self {
            id: d.delivery_id,
            msg_id: d.msg_id,
            event_id: d.event_id,
            event_type: d.event_type,
            endpoint_id: d.endpoint_id,
            attempts: d.attempts,
            created_at: ts(d.created_at),
            failed_at: ts(d.failed_at),
            payload_expunged: d.expunged,
            last_attempt: d.last_attempt.map(|a| LastAttemptOut {
                id: a.id,
                timestamp: ts(a.created_at),
                response_status_code: a.response_status_code,
                error_class: a.error_class,
            }),
        }
    }
}
