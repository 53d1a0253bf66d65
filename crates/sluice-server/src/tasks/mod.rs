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

/// Counts what one committed batch of a `kind` task changed: `n` deliveries re-queued
/// (`sluice_redriven_deliveries_total{task}`, when the batch re-queues) or payloads
/// expunged (`sluice_expunged_payloads_total{why="request"}`, for a purge).
pub fn count_batch(kind: &str, requeues: bool, n: u64) {
    if n == 0 {
        return;
    }
    match Kind::parse(kind) {
        Some(k) if k.redrives() && requeues => {
            metrics::counter!("sluice_redriven_deliveries_total", "task" => k.name()).increment(n)
        }
        Some(Kind::PurgeContent) => {
            metrics::counter!("sluice_expunged_payloads_total", "why" => "request").increment(n)
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use metrics::{Counter, CounterFn, Gauge, Histogram, Key, KeyName, Metadata, Recorder};
    use metrics::{SharedString, Unit};

    use super::*;

    /// Counters by name and sorted labels.
    #[derive(Default)]
    struct Counts(Mutex<BTreeMap<String, Arc<Cell>>>);

    #[derive(Default)]
    struct Cell(AtomicU64);

    impl CounterFn for Cell {
        fn increment(&self, v: u64) {
            self.0.fetch_add(v, Ordering::Relaxed);
        }
        fn absolute(&self, v: u64) {
            self.0.store(v, Ordering::Relaxed);
        }
    }

    fn name(key: &Key) -> String {
        let mut labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        labels.sort();
        format!("{}{{{}}}", key.name(), labels.join(","))
    }

    impl Recorder for Counts {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            let cell = self.0.lock().unwrap().entry(name(key)).or_default().clone();
            Counter::from_arc(cell)
        }
        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }
        fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::noop()
        }
    }

    fn value(c: &Counts, series: &str) -> u64 {
        c.0.lock()
            .unwrap()
            .get(series)
            .map_or(0, |cell| cell.0.load(Ordering::Relaxed))
    }

    #[test]
    fn tasks_and_their_batches_are_counted_by_type() {
        let counts = Counts::default();
        metrics::with_local_recorder(&counts, || {
            count_status("endpoint.recover", TaskStatus::Running);
            count_status("endpoint.recover", TaskStatus::Finished);
            count_batch("endpoint.recover", true, 5);
            count_batch("endpoint.bulk-replay", true, 2);
            count_batch("endpoint.bulk-replay", false, 9);
            count_batch("endpoint.replay", true, 0);
            count_batch("application.purge_content", false, 3);
            count_batch("application.stats", false, 4);
        });
        let tasks = "sluice_background_tasks_total";
        assert_eq!(
            value(
                &counts,
                &format!("{tasks}{{status=running,task=endpoint.recover}}")
            ),
            1
        );
        assert_eq!(
            value(
                &counts,
                &format!("{tasks}{{status=finished,task=endpoint.recover}}")
            ),
            1
        );
        let redriven = "sluice_redriven_deliveries_total";
        assert_eq!(
            value(&counts, &format!("{redriven}{{task=endpoint.recover}}")),
            5
        );
        assert_eq!(
            value(&counts, &format!("{redriven}{{task=endpoint.bulk-replay}}")),
            2
        );
        assert_eq!(
            value(&counts, &format!("{redriven}{{task=endpoint.replay}}")),
            0
        );
        assert_eq!(
            value(&counts, "sluice_expunged_payloads_total{why=request}"),
            3
        );
        assert_eq!(counts.0.lock().unwrap().len(), 5, "no other series");
    }
}
