//! Background tasks: recover, replay-missing, bulk replay, purge of an application's
//! payloads, and usage statistics, each a row of the store's task table run in batches.
//!
//! - [`kinds`]: each task type's parameters (what was asked, stored with the task) and
//!   how its next batch is computed from the cursor.
//! - [`run`]: the runner every node runs: claim a task with a lease, then batch after
//!   batch, each batch's change and the cursor's advance committed together under the
//!   lease's fencing token, until the task is finished.
//! - `stats`: the usage-statistics task's batches.
//!
//! Why this gives "each delivery re-sent exactly once": a batch is the next items after
//! the cursor, and the store applies the batch and moves the cursor in one transaction that
//! only a runner still holding the lease can commit. A runner that crashes, or whose lease
//! ran out, leaves the cursor after the last batch it committed; whoever claims the task
//! next continues from there. The selections are also bounded by the task's creation time
//! (only deliveries finished before it), so a delivery re-sent by the task that fails again
//! is not picked up a second time.

pub mod kinds;
pub mod run;
mod stats;

use std::sync::Arc;

use sluice_core::{ids, Millis};
use sluice_store::{Task, TaskStatus};
use tokio::sync::Notify;

pub use self::kinds::Kind;

/// Wakes this node's runner when a task was created here, so it starts at once instead
/// of at the next poll.
#[derive(Debug, Default, Clone)]
pub struct TaskWake(Arc<Notify>);

impl TaskWake {
    /// Signals the runner (the permit is kept if it is busy).
    pub fn wake(&self) {
        self.0.notify_one();
    }

    /// The signal the runner waits on.
    pub fn signal(&self) -> &Notify {
        &self.0
    }
}

/// A new running task of `kind` for `org_id`, with its parameters and starting `data`.
pub fn new_task(
    org_id: &str,
    app_id: Option<&str>,
    endpoint_id: Option<&str>,
    kind: Kind,
    params: serde_json::Value,
    data: serde_json::Value,
    now: Millis,
) -> Task {
    Task {
        id: ids::new_id(ids::TASK, now),
        org_id: org_id.to_string(),
        app_id: app_id.map(str::to_string),
        endpoint_id: endpoint_id.map(str::to_string),
        kind: kind.name().to_string(),
        status: TaskStatus::Running,
        params,
        data,
        cursor: None,
        created_at: now,
        updated_at: now,
    }
}

/// Counts a task reaching `status` (`sluice_background_tasks_total{task, status}`).
pub fn count_status(kind: &str, status: TaskStatus) {
    metrics::counter!(
        "sluice_background_tasks_total",
        "task" => kind.to_string(),
        "status" => status.text()
    )
    .increment(1);
}
