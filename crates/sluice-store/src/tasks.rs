//! The words of background tasks (recover, replay, bulk replay, purge, usage stats) and of
//! the selections they work through: what [`Store`](crate::Store)'s task and dead-letter
//! methods take and return.
//!
//! A task is a row: its parameters, a cursor (how far it got), its progress and results
//! (`data`), and a lease. A runner claims a task ([`Store::claim_task`](crate::Store::claim_task)),
//! reads the next batch after the cursor, and hands it back as a [`TaskStep`]: the step's
//! action and the cursor's advance commit in one transaction, fenced by the lease's token,
//! so a runner that lost its lease cannot apply a batch the new holder applies again.

use serde_json::Value;
use sluice_core::model::DeliveryStatus;
use sluice_core::Millis;

/// Where a task stands (stored as 0, 1, 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    /// Waiting for, or under, a runner.
    Running = 0,
    /// Done; `data` holds the results.
    Finished = 1,
    /// Given up; `data.error` says why.
    Failed = 2,
}

impl TaskStatus {
    /// From the stored integer.
    pub fn from_i64(v: i64) -> Option<Self> {
        Some(match v {
            0 => Self::Running,
            1 => Self::Finished,
            2 => Self::Failed,
            _ => return None,
        })
    }

    /// Svix's `BackgroundTaskStatus` text.
    pub fn text(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Finished => "finished",
            Self::Failed => "failed",
        }
    }

    /// From Svix's text.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Running, Self::Finished, Self::Failed]
            .into_iter()
            .find(|s| s.text() == text)
    }
}

/// One background task as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// `qtask_…`
    pub id: String,
    /// Owning organisation: tasks are listed and read per org.
    pub org_id: String,
    /// The application it works on, if one.
    pub app_id: Option<String>,
    /// The endpoint it works on, if one.
    pub endpoint_id: Option<String>,
    /// Svix's `BackgroundTaskType` (`endpoint.recover`, …).
    pub kind: String,
    /// Where it stands.
    pub status: TaskStatus,
    /// What was asked (set at creation, never changed).
    pub params: Value,
    /// Progress and results, as the API shows them.
    pub data: Value,
    /// Sort key of the last item handled; `None` before the first batch.
    pub cursor: Option<String>,
    /// When it was created.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
}

/// A task leased to one runner: `token` fences its steps.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedTask {
    /// The task as it was when claimed.
    pub task: Task,
    /// The lease's fencing token; a later claim gets a larger one.
    pub token: i64,
}

/// Filters of the task list.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Only tasks in this state.
    pub status: Option<TaskStatus>,
    /// Only tasks of this type.
    pub kind: Option<String>,
}

/// What one step of a task changes besides the task row.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskAction {
    /// Nothing (a step that only counts, or only finishes).
    None,
    /// Each listed delivery whose status is one of `from` gets a fresh manual round, due
    /// now (as [`Store::resend`](crate::Store::resend) does for a finished delivery).
    /// Deliveries of expunged messages, and ones in another state by now, are left alone.
    Requeue {
        /// `msgep_…` ids.
        delivery_ids: Vec<String>,
        /// States a delivery may be in to be re-queued.
        from: Vec<DeliveryStatus>,
    },
    /// Each listed message of `app_id` that has no delivery to `endpoint_id` (and still
    /// has its payload) gets one, a manual try due now.
    CreateDeliveries {
        /// The messages' application.
        app_id: String,
        /// The endpoint (of that application).
        endpoint_id: String,
        /// `msg_…` ids.
        msg_ids: Vec<String>,
    },
    /// Each listed message of `app_id` not yet expunged is expunged, as
    /// [`Store::expunge_message_content`](crate::Store::expunge_message_content) does, the
    /// whole batch in one transaction (and, on SQLite, one WAL truncation).
    Expunge {
        /// The messages' application.
        app_id: String,
        /// `msg_…` ids.
        msg_ids: Vec<String>,
    },
}

/// Updates a task's `data` with the number of items the step's action changed. Runs inside
/// the write, so it must be quick and do no I/O.
pub type TaskDataEdit = Box<dyn FnOnce(&mut Value, u64) + Send>;

/// One batch of a task, applied by [`Store::advance_task`](crate::Store::advance_task).
pub struct TaskStep {
    /// The task.
    pub task_id: String,
    /// The claim's token.
    pub token: i64,
    /// The cursor after this batch.
    pub cursor: Option<String>,
    /// What the batch changes.
    pub action: TaskAction,
    /// Records the batch's progress in `data`.
    pub data: TaskDataEdit,
    /// Ends the task in this state (its lease is released).
    pub finish: Option<TaskStatus>,
}

/// Filters of the dead-letter list: deliveries in the `Fail` state (exhausted, or whose
/// manual try failed).
#[derive(Debug, Clone, Default)]
pub struct DeadLetterFilter {
    /// Application (always set).
    pub app_id: String,
    /// Only this endpoint's.
    pub endpoint_id: Option<String>,
    /// Only ones that failed before this time.
    pub failed_before: Option<Millis>,
    /// Only ones that failed after this time.
    pub failed_after: Option<Millis>,
    /// Only deliveries created at or after this time.
    pub created_since: Option<Millis>,
    /// Only deliveries created before this time.
    pub created_until: Option<Millis>,
    /// Only messages of these event types (empty: no filter).
    pub event_types: Vec<String>,
    /// Only where the last attempt's status code is this (0: no response).
    pub status_code: Option<i32>,
    /// Only where the last attempt's status code is in this class (0, 100, … 500).
    pub status_code_class: Option<i32>,
}

/// The last attempt of a dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastAttempt {
    /// `atmpt_…`
    pub id: String,
    /// When it was made.
    pub created_at: Millis,
    /// Its status code (0 when nothing came back).
    pub response_status_code: i32,
    /// Its outcome class, when recorded.
    pub error_class: Option<String>,
}

/// One dead letter: the failed delivery, its message's identity and its last attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// `msgep_…`
    pub delivery_id: String,
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
    /// When the delivery was created.
    pub created_at: Millis,
    /// When it failed for good (its last state change).
    pub failed_at: Millis,
    /// Whether the message's payload was expunged (then it cannot be re-sent).
    pub expunged: bool,
    /// Its last attempt, if any was made.
    pub last_attempt: Option<LastAttempt>,
}

/// Which of an endpoint's finished deliveries a bulk replay re-sends (Svix's
/// `BulkReplayIn`). Only finished deliveries (success or fail) qualify, of messages whose
/// payload is still there; ones pending or in flight will be sent anyway.
#[derive(Debug, Clone, Default)]
pub struct ReplaySelection {
    /// Messages created at or after this time.
    pub since: Millis,
    /// Messages created before this time.
    pub until: Millis,
    /// Only deliveries whose last change is at or before this time (the task's creation),
    /// so a delivery the replay itself re-sent is not picked up again.
    pub finished_by: Millis,
    /// Only these event types (empty: no filter).
    pub event_types: Vec<String>,
    /// Only messages on this channel.
    pub channel: Option<String>,
    /// Only messages carrying this tag.
    pub tag: Option<String>,
    /// Only deliveries in this state (`Success` or `Fail`; others select nothing).
    pub status: Option<DeliveryStatus>,
    /// Only where the last attempt's status code is in this class.
    pub status_code_class: Option<i32>,
}

/// What a task needs of one message to decide about it, without its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageHead {
    /// `msg_…`
    pub id: String,
    /// Its event type.
    pub event_type: String,
    /// Its channels.
    pub channels: Option<Vec<String>>,
    /// When it was created.
    pub created_at: Millis,
    /// Whether its payload was expunged.
    pub expunged: bool,
}

/// Usage counts of one application over a window (the `application.stats` task).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppUsage {
    /// Messages created in the window.
    pub messages: u64,
    /// Deliveries (message × endpoint) created in the window: Svix's `messageDestinations`.
    pub message_destinations: u64,
    /// Attempts made in the window that succeeded.
    pub attempts_success: u64,
    /// Attempts made in the window that failed.
    pub attempts_fail: u64,
}
