//! The single writer: one thread owns the read-write connection and group-commits jobs.
//!
//! The thread blocks for the first job, drains whatever else is queued (up to
//! [`MAX_BATCH`]), runs them all in one `BEGIN IMMEDIATE` transaction, each inside its own
//! savepoint, commits once, and only then answers each caller. One fsync thus covers a whole
//! batch, which is what makes durable ingest fast, and no caller hears "ok" before the
//! commit that holds its rows is durable.
//!
//! A job may carry a tally (its [`Op`] and a way to count its items): after each commit,
//! every operation present in the batch records the batch's duration and its items
//! committed (see [`crate::commits`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot, Notify};

use super::errors;
use super::rows::backend;
use crate::commits::{self, Op};
use crate::{StoreError, StoreResult};

/// Most jobs in one transaction; bounds how long one commit keeps callers waiting.
pub(crate) const MAX_BATCH: usize = 512;
/// Jobs that may wait for the writer; beyond this, callers wait to enqueue (backpressure).
const QUEUE: usize = 4096;

/// A job's own verdict: whether its savepoint is kept, and whether it created due work.
struct Ran {
    ok: bool,
    wake: bool,
}

/// A type-erased write job.
trait Job: Send {
    /// Runs the job inside its savepoint.
    fn run(&mut self, conn: &Connection) -> Ran;
    /// Answers the caller once the batch's fate is known.
    fn finish(self: Box<Self>, committed: Result<(), &Arc<BatchFailed>>);
    /// After [`Job::run`]: the operation of a tallied job that succeeded, and its items.
    fn tally(&self) -> Option<(Op, usize)>;
}

/// How a job is counted in the commit metrics: its operation, and its items from its value.
pub(crate) type Tally<T> = Option<(Op, fn(&T) -> usize)>;

/// Why a batch did not commit; every job of the batch is answered with it.
#[derive(Debug, thiserror::Error)]
enum BatchFailed {
    /// A statement of the batch itself (begin, savepoint, commit) failed.
    #[error("the write batch did not commit: {0}")]
    Sqlite(#[source] rusqlite::Error),
    /// A job's statement made SQLite roll the whole transaction back, which it does only
    /// for a full disk, an I/O error, a lock timeout or lack of memory.
    #[error("SQLite rolled the write batch back")]
    Aborted,
}

impl BatchFailed {
    /// The error one job of the failed batch gets, with the batch's cause as its source.
    fn for_job(self: &Arc<Self>) -> StoreError {
        let transient = match &**self {
            Self::Sqlite(e) => e.sqlite_error_code().is_some_and(errors::is_transient),
            Self::Aborted => true,
        };
        let cause = Box::new(Arc::clone(self));
        if transient {
            StoreError::Unavailable(cause)
        } else {
            StoreError::Backend(cause)
        }
    }
}

struct TypedJob<T, F> {
    f: Option<F>,
    tally: Tally<T>,
    result: Option<StoreResult<(T, bool)>>,
    tx: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> StoreResult<(T, bool)> + Send + 'static,
{
    fn run(&mut self, conn: &Connection) -> Ran {
        let Some(f) = self.f.take() else {
            return Ran {
                ok: false,
                wake: false,
            };
        };
        // A panicking job must not take the writer (and every later write) down with it.
        let result = catch_unwind(AssertUnwindSafe(|| f(conn)))
            .unwrap_or_else(|_| Err(StoreError::backend("write job panicked")));
        let ran = match &result {
            Ok((_, wake)) => Ran {
                ok: true,
                wake: *wake,
            },
            Err(_) => Ran {
                ok: false,
                wake: false,
            },
        };
        self.result = Some(result);
        ran
    }

    fn finish(self: Box<Self>, committed: Result<(), &Arc<BatchFailed>>) {
        let out = match (committed, self.result) {
            (Ok(()), Some(result)) => result.map(|(v, _)| v),
            (Ok(()), None) => Err(StoreError::backend("write job did not run")),
            (Err(failed), _) => Err(failed.for_job()),
        };
        // The caller may have gone away (request cancelled); its rows are committed anyway.
        let _ = self.tx.send(out);
    }

    fn tally(&self) -> Option<(Op, usize)> {
        let (op, count) = self.tally?;
        match &self.result {
            Some(Ok((value, _))) => Some((op, count(value))),
            _ => None,
        }
    }
}

/// Counters shared between the writer thread and the store.
#[derive(Default)]
pub(crate) struct Stats {
    /// Transactions committed.
    pub(crate) commits: AtomicU64,
}

/// Handle to the writer thread; dropping it lets the thread finish queued jobs and exit.
pub(crate) struct Writer {
    tx: Option<mpsc::Sender<Box<dyn Job>>>,
    thread: Option<JoinHandle<()>>,
    pub(crate) stats: Arc<Stats>,
}

impl Writer {
    /// Starts the writer thread on `conn`; `work` is notified after commits that created due work.
    pub(crate) fn spawn(conn: Connection, work: Arc<Notify>) -> StoreResult<Writer> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let stats = Arc::new(Stats::default());
        let thread_stats = stats.clone();
        let thread = std::thread::Builder::new()
            .name("sluice-sqlite-writer".into())
            .spawn(move || run(conn, rx, &thread_stats, &work))
            .map_err(backend)?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
            stats,
        })
    }

    /// Runs `f` in the next batch; `f` returns its value and whether it created due work.
    /// Resolves only after the batch's commit.
    pub(crate) async fn submit<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<(T, bool)> + Send + 'static,
    {
        self.submit_tallied(None, f).await
    }

    /// [`Self::submit`] for a job counted in the commit metrics as `tally`.
    pub(crate) async fn submit_tallied<T, F>(&self, tally: Tally<T>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<(T, bool)> + Send + 'static,
    {
        self.enqueue_tallied(tally, f)
            .await?
            .await
            .map_err(|_| stopped())?
    }

    /// Queues `f` and returns the receiver of its result without waiting for the commit.
    pub(crate) async fn enqueue<T, F>(&self, f: F) -> StoreResult<oneshot::Receiver<StoreResult<T>>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<(T, bool)> + Send + 'static,
    {
        self.enqueue_tallied(None, f).await
    }

    async fn enqueue_tallied<T, F>(
        &self,
        tally: Tally<T>,
        f: F,
    ) -> StoreResult<oneshot::Receiver<StoreResult<T>>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<(T, bool)> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(TypedJob {
            f: Some(f),
            tally,
            result: None,
            tx,
        });
        let sender = self.tx.as_ref().ok_or_else(stopped)?;
        sender.send(job).await.map_err(|_| stopped())?;
        Ok(rx)
    }

    /// Jobs waiting for the writer (a testing and metrics aid).
    pub(crate) fn queued(&self) -> usize {
        self.tx
            .as_ref()
            .map_or(0, |tx| tx.max_capacity() - tx.capacity())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel ends the thread after it has drained the queue; joining makes
        // "drop the store, reopen the file" see a closed connection.
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer is gone (the store is shutting down): this node cannot write any more.
fn stopped() -> StoreError {
    StoreError::unavailable("the SQLite writer has stopped")
}

fn run(conn: Connection, mut rx: mpsc::Receiver<Box<dyn Job>>, stats: &Stats, work: &Notify) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let outcome = run_batch(&conn, &mut batch);
        match &outcome {
            Ok(wake) => {
                record_commit(&batch, started);
                stats.commits.fetch_add(1, Ordering::Relaxed);
                if *wake {
                    work.notify_one();
                }
            }
            Err(e) => tracing::error!(error = %e, jobs = batch.len(), "SQLite write batch failed"),
        }
        let failed = outcome.err().map(Arc::new);
        for job in batch.drain(..) {
            job.finish(failed.as_ref().map_or(Ok(()), Err));
        }
    }
}

/// Records the committed batch's duration and items once per operation present in it.
fn record_commit(batch: &[Box<dyn Job>], started: Instant) {
    let elapsed = started.elapsed();
    let mut items = [0usize; Op::ALL.len()];
    let mut present = [false; Op::ALL.len()];
    for (op, n) in batch.iter().filter_map(|job| job.tally()) {
        // `Op::ALL` lists the variants in declaration order, so a variant's index is its
        // discriminant.
        let i = op as usize;
        items[i] += n;
        present[i] = true;
    }
    for op in Op::ALL {
        if present[op as usize] {
            commits::record(op, elapsed, items[op as usize]);
        }
    }
}

/// Runs one batch in one transaction; `Ok(wake)` once committed.
fn run_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> Result<bool, BatchFailed> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(BatchFailed::Sqlite)?;
    match run_jobs(conn, batch).and_then(|wake| {
        conn.execute_batch("COMMIT").map_err(BatchFailed::Sqlite)?;
        Ok(wake)
    }) {
        Ok(wake) => Ok(wake),
        Err(e) => {
            // SQLite may already have rolled back (I/O error, disk full); then there is no
            // transaction left to end.
            if !conn.is_autocommit() {
                if let Err(rb) = conn.execute_batch("ROLLBACK") {
                    tracing::error!(error = %rb, "SQLite rollback failed");
                }
            }
            Err(e)
        }
    }
}

fn run_jobs(conn: &Connection, batch: &mut [Box<dyn Job>]) -> Result<bool, BatchFailed> {
    let exec = |sql: &str| -> Result<(), BatchFailed> {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map(|_| ())
            .map_err(BatchFailed::Sqlite)
    };
    let mut wake = false;
    for job in batch.iter_mut() {
        exec("SAVEPOINT job")?;
        let ran = job.run(conn);
        if conn.is_autocommit() {
            return Err(BatchFailed::Aborted);
        }
        if !ran.ok {
            // Undo only this job; the rest of the batch is unaffected.
            exec("ROLLBACK TO job")?;
        }
        exec("RELEASE job")?;
        wake |= ran.wake;
    }
    Ok(wake)
}
