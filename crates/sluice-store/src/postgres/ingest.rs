//! Ingest: new messages with their deliveries (the transactional outbox), batched.
//!
//! Every `create_message` / `create_inbound_message` of this node is queued to a few writer
//! tasks. A free writer takes whatever is queued (up to [`MAX_BATCH`] jobs), writes the
//! whole batch in one transaction with a constant number of set-based statements
//! ([`batch`]), commits once, and only then answers each caller. So a burst of requests
//! costs one commit (one WAL flush) per batch instead of one per message, as the SQLite
//! writer's group commit does, and no caller hears "ok" before its rows are durable.
//!
//! A few writers ([`WRITERS`]) run on separate pool connections, so one batch is written
//! while the next one gathers; under light load each request is its own small batch and
//! waits for nobody. When a batch fails for a reason that is not an outage (a value the
//! database refuses, say), its jobs are retried one per transaction so that one bad
//! message does not fail its neighbours; after an outage every job gets `Unavailable`.

mod batch;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use deadpool_postgres::Pool;
use sluice_core::model::Message;
use sluice_core::Millis;
use tokio::sync::{mpsc, oneshot, Mutex, Notify};

use super::notifier::Notifier;
use super::PgStore;
use crate::{ConflictKind, InboundAccepted, StoreError, StoreResult};

/// Most jobs in one transaction; bounds how long one commit keeps its callers waiting.
pub(crate) const MAX_BATCH: usize = 256;
/// Jobs that may wait for a writer; beyond this, callers wait to enqueue (backpressure).
const QUEUE: usize = 4096;
/// Writer tasks, each writing one batch at a time on its own connection.
pub(crate) const WRITERS: usize = 2;

/// How a batch that created deliveries wakes the dispatchers.
pub(crate) struct Wake {
    /// Wakes the other nodes, after the commit.
    cluster: Arc<Notifier>,
    /// This node's dispatcher, woken right after the commit.
    work: Arc<Notify>,
}

/// What a job asks for.
pub(crate) enum Kind {
    /// A published message: fanned out to the app's matching enabled endpoints, or to
    /// exactly `only` (any endpoint of the app, even disabled or filtered out).
    Publish { only: Option<String> },
    /// An inbound message, first deduped on `(source_id, key)` when there is a key.
    Inbound {
        source_id: String,
        key: Option<String>,
    },
}

/// One queued write.
pub(crate) struct Job {
    pub(crate) msg: Message,
    pub(crate) kind: Kind,
    pub(crate) now: Millis,
}

/// What became of one job in a committed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// The message and this many deliveries are written.
    Created(usize),
    /// The source has seen the dedupe key: nothing written.
    Seen,
    /// The message was not inserted: its event id (or id) is taken.
    Taken(ConflictKind),
    /// `only_endpoint` is not an endpoint of the message's app: nothing written.
    NotFound,
}

struct Queued {
    job: Job,
    reply: oneshot::Sender<StoreResult<Fate>>,
}

/// Handle to the writer tasks; dropping it lets them finish what is queued and stop.
pub(crate) struct Writer {
    tx: mpsc::Sender<Queued>,
    commits: Arc<AtomicU64>,
}

impl Writer {
    /// Starts [`WRITERS`] writer tasks on connections of `pool`; commits that create
    /// deliveries wake this node's dispatcher (`work`) and the other nodes (`cluster`).
    pub(crate) fn spawn(pool: Pool, cluster: Arc<Notifier>, work: Arc<Notify>) -> Writer {
        let wake = Arc::new(Wake { cluster, work });
        let (tx, rx) = mpsc::channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        let commits = Arc::new(AtomicU64::new(0));
        for _ in 0..WRITERS {
            let (pool, wake, rx, commits) =
                (pool.clone(), wake.clone(), rx.clone(), commits.clone());
            tokio::spawn(async move { run(pool, wake, rx, commits).await });
        }
        Writer { tx, commits }
    }

    /// Ingest transactions committed since connecting.
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Queues `job` and waits for the commit of its batch.
    async fn submit(&self, job: Job) -> StoreResult<Fate> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Queued { job, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The writers are gone (the store is shutting down).
fn stopped() -> StoreError {
    StoreError::unavailable("the PostgreSQL ingest writer has stopped")
}

/// One writer: takes the next batch off the shared queue, writes it, answers, repeats.
async fn run(
    pool: Pool,
    wake: Arc<Wake>,
    rx: Arc<Mutex<mpsc::Receiver<Queued>>>,
    commits: Arc<AtomicU64>,
) {
    loop {
        let queued = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else {
                return;
            };
            let mut queued = vec![first];
            while queued.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(q) => queued.push(q),
                    Err(_) => break,
                }
            }
            queued
        };
        let (jobs, replies): (Vec<Job>, Vec<_>) =
            queued.into_iter().map(|q| (q.job, q.reply)).unzip();
        let fates = write(&pool, &wake, &jobs, &commits).await;
        for (reply, fate) in replies.into_iter().zip(fates) {
            // The caller may have gone away (request cancelled); its rows are committed anyway.
            let _ = reply.send(fate);
        }
    }
}

/// Writes `jobs` as one batch; if that fails for a reason other than an outage, one job
/// per transaction, so each job gets its own verdict.
async fn write(
    pool: &Pool,
    wake: &Wake,
    jobs: &[Job],
    commits: &AtomicU64,
) -> Vec<StoreResult<Fate>> {
    match batch::run(pool, wake, jobs).await {
        Ok(fates) => {
            commits.fetch_add(1, Ordering::Relaxed);
            return fates.into_iter().map(Ok).collect();
        }
        Err(e) if jobs.len() == 1 || matches!(e, StoreError::Unavailable(_)) => {
            tracing::warn!(error = %e, jobs = jobs.len(), "PostgreSQL ingest batch failed");
            let e = Arc::new(e);
            return jobs.iter().map(|_| Err(share(&e))).collect();
        }
        Err(e) => {
            tracing::warn!(error = %e, jobs = jobs.len(), "PostgreSQL ingest batch failed; writing its jobs one by one");
        }
    }
    let mut out = Vec::with_capacity(jobs.len());
    for job in jobs {
        let one = batch::run(pool, wake, std::slice::from_ref(job)).await;
        if one.is_ok() {
            commits.fetch_add(1, Ordering::Relaxed);
        }
        out.push(one.and_then(|mut f| f.pop().ok_or_else(|| StoreError::backend("no fate"))));
    }
    out
}

/// The error one job of a failed batch gets, with the batch's error as its source.
fn share(e: &Arc<StoreError>) -> StoreError {
    match &**e {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::Conflict(k) => StoreError::Conflict(*k),
        StoreError::Unavailable(_) => StoreError::Unavailable(Box::new(Arc::clone(e))),
        _ => StoreError::Backend(Box::new(Arc::clone(e))),
    }
}

pub(super) async fn create_message(
    s: &PgStore,
    msg: Message,
    only_endpoint: Option<String>,
    now: Millis,
) -> StoreResult<usize> {
    let kind = Kind::Publish {
        only: only_endpoint,
    };
    match s.ingest.submit(Job { msg, kind, now }).await? {
        Fate::Created(n) => Ok(n),
        Fate::Taken(kind) => Err(StoreError::Conflict(kind)),
        Fate::NotFound => Err(StoreError::NotFound),
        Fate::Seen => Err(StoreError::backend("a published message was deduped")),
    }
}

pub(super) async fn create_inbound_message(
    s: &PgStore,
    source_id: &str,
    msg: Message,
    dedupe_key: Option<String>,
    now: Millis,
) -> StoreResult<InboundAccepted> {
    let kind = Kind::Inbound {
        source_id: source_id.to_string(),
        key: dedupe_key,
    };
    match s.ingest.submit(Job { msg, kind, now }).await? {
        Fate::Created(deliveries) => Ok(InboundAccepted::Created { deliveries }),
        Fate::Seen | Fate::Taken(ConflictKind::MessageEventId) => Ok(InboundAccepted::Duplicate),
        Fate::Taken(kind) => Err(StoreError::Conflict(kind)),
        Fate::NotFound => Err(StoreError::NotFound),
    }
}
