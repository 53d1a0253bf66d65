//! Waking the other nodes after a commit that created due work, coalesced.
//!
//! A `NOTIFY` inside a writing transaction makes its commit take PostgreSQL's one lock per
//! database for the notification queue and hold it through the WAL flush, so every such
//! commit waits for the previous one and none can share a flush (the bench saw commits
//! queue on that lock). So writes never notify in their own transaction: after the commit
//! they signal this task, which sends one `pg_notify` on a connection of its own (a
//! transaction that writes nothing, hence no WAL flush), and at most one per [`COALESCE`]:
//! a burst of commits costs one notification. The rows are committed before the
//! notification leaves, so a node it wakes finds them. Should the process die between the
//! commit and the notification, the other nodes find the work at their next poll (at most a
//! second later); nothing is lost, only a wake-up.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::Notify;

/// Shortest gap between two notifications of one node.
const COALESCE: Duration = Duration::from_millis(2);

/// The handle writers signal after their commits; the task stops when this is dropped.
pub(crate) struct Notifier {
    signal: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Notifier {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Notifier {
    /// Starts the task: it notifies `channel` with payload `node` (which this node's own
    /// listener skips: the writer wakes its own dispatcher directly).
    pub(crate) fn spawn(pool: Pool, channel: Arc<str>, node: Arc<str>) -> Notifier {
        let signal = Arc::new(Notify::new());
        let waiting = signal.clone();
        let task = tokio::spawn(async move {
            loop {
                // A signal sent while the last notification was going out left a permit,
                // so it is not lost.
                waiting.notified().await;
                if let Err(e) = send(&pool, &channel, &node).await {
                    tracing::debug!(error = %e, "could not notify the other nodes; they poll");
                }
                tokio::time::sleep(COALESCE).await;
            }
        });
        Notifier { signal, task }
    }

    /// Called after a commit that created due work.
    pub(crate) fn committed_work(&self) {
        self.signal.notify_one();
    }
}

async fn send(pool: &Pool, channel: &str, node: &str) -> Result<(), Box<dyn std::error::Error>> {
    let c = pool.get().await?;
    let stmt = c.prepare_cached("SELECT pg_notify($1, $2)").await?;
    c.execute(&stmt, &[&channel, &node]).await?;
    Ok(())
}
