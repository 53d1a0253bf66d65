//! Embedded SQLite backend of [`Store`](crate::Store).
//!
//! - One writer thread owns the read-write connection and group-commits queued jobs: many
//!   concurrent writes share one transaction and one fsync, each job isolated by a savepoint
//!   ([`writer`]).
//! - Reads run on a few read-only connections from blocking threads ([`read_pool`]); WAL
//!   mode keeps them from waiting on the writer.
//! - The dispatcher is woken through a [`Notify`] after commits that create due work.
//!
//! The trait implementations ([`store_impl`], and [`queue_impl`] for the queue role) only
//! route each method to the writer or the read pool; one module per area (the queue's in
//! [`claim`] and [`outcomes`]) runs the statements, which are `.sql` files under
//! [`queries`], run through the helpers of [`db`].

mod apps;
mod attempts;
mod checkpointer;
mod claim;
mod control;
mod db;
mod depths;
mod endpoints;
mod errors;
mod exact_cache;
mod expunge;
mod idempotency;
mod integrations;
mod messages;
mod next_due;
mod outcomes;
mod page;
mod portal_tokens;
mod private;
mod queries;
mod queue_impl;
mod read_pool;
mod redrive;
mod retention;
mod rows;
mod schema;
mod sources;
mod store_impl;
mod tasks;
mod writer;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::{oneshot, Notify};

use crate::{StoreError, StoreResult};
use read_pool::ReadPool;
use writer::Writer;

/// Creates a directory (and missing parents) owner-only, 0700; an existing one keeps its
/// mode. The server's data dir holds the keys beside the database, so it uses this too.
pub use private::create_dir as create_private_dir;

/// How hard SQLite works to make a commit durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// fsync on every commit: a committed write survives power loss (the default).
    #[default]
    Full,
    /// WAL's usual setting: a commit survives a process crash, but the last commits may be
    /// lost on power loss. Faster on slow disks.
    Normal,
}

/// Options of [`SqliteStore::open`].
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Durability of commits.
    pub synchronous: Synchronous,
    /// Read-only connections for queries (at least one is opened).
    pub read_connections: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Full,
            read_connections: 4,
        }
    }
}

/// The SQLite store. Share it as `Arc<dyn Store>`; dropping it lets the writer finish queued
/// jobs and closes the file.
pub struct SqliteStore {
    /// Held (advisory lock) for the store's lifetime: one process per database file.
    _lock: std::fs::File,
    writer: Writer,
    checkpointer: checkpointer::Checkpointer,
    apps: exact_cache::ExactCache<(String, String), sluice_core::model::Application>,
    /// Sources by ingest-token hash, with the token's expiry.
    tokens: exact_cache::ExactCache<String, sources::TokenEntry>,
    reads: Arc<ReadPool>,
    work: Arc<Notify>,
}

impl SqliteStore {
    /// Opens the database at `path` (creating the file and its parent directory if missing)
    /// and applies pending migrations.
    ///
    /// The embedded store is single-process: `open` takes an exclusive lock on
    /// `<path>.lock` and fails if another process holds it. Holding that lock proves that
    /// every delivery still marked in flight belongs to a process that died, so those are
    /// put back in the queue at once instead of waiting for their leases to expire.
    pub fn open(path: &Path, opts: SqliteOptions) -> StoreResult<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private::create_dir(dir).map_err(rows::backend)?;
        }
        // A statement naming a placeholder nobody knows fails here, not in a request.
        queries::check_all().map_err(StoreError::backend)?;
        let lock = lock_exclusive(path)?;
        // The file holds payloads and sealed secrets: owner-only before SQLite first writes
        // it. SQLite gives its -wal and -shm files the database file's mode.
        private::restrict_file(path).map_err(rows::backend)?;
        let mut conn = schema::open_writer(path, opts.synchronous)?;
        schema::migrate(&mut conn)?;
        let orphans = outcomes::requeue_orphaned(&conn, sluice_core::now_millis())?;
        if orphans > 0 {
            tracing::info!(
                count = orphans,
                "requeued deliveries left in flight by a previous process"
            );
        }
        // Readers open after the migration so they never see a schema-less file.
        let reads = ReadPool::open(path, opts.read_connections)?;
        let work = Arc::new(Notify::new());
        let writer = Writer::spawn(conn, work.clone())?;
        let checkpointer =
            checkpointer::Checkpointer::spawn(schema::open_checkpointer(path, opts.synchronous)?)
                .map_err(rows::backend)?;
        Ok(SqliteStore {
            _lock: lock,
            writer,
            checkpointer,
            apps: Default::default(),
            tokens: Default::default(),
            reads,
            work,
        })
    }

    /// Transactions committed by the writer since opening. Fewer commits than writes means
    /// writes were grouped; tests and metrics use it.
    pub fn commit_count(&self) -> u64 {
        self.writer.stats.commits.load(Ordering::Relaxed)
    }

    /// Write jobs queued and not yet picked up by the writer.
    pub fn queued_writes(&self) -> usize {
        self.writer.queued()
    }

    /// Holds the writer idle until the returned guard is dropped, so that writes queue up
    /// and then commit together. A testing aid (it makes batch composition deterministic);
    /// never use it in serving code.
    #[doc(hidden)]
    pub async fn pause_writer(&self) -> StoreResult<WriterPause> {
        let (started_tx, started_rx) = oneshot::channel::<()>();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let done = self
            .writer
            .enqueue(move |_conn: &Connection| {
                let _ = started_tx.send(());
                // Returns when the guard sends or is dropped.
                let _ = release_rx.recv();
                Ok(((), false))
            })
            .await?;
        started_rx
            .await
            .map_err(|_| rows::backend("writer did not start the pause"))?;
        Ok(WriterPause {
            _release: release_tx,
            _done: done,
        })
    }

    /// Runs `f` on the writer in the next group commit; resolves after the commit.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.writer
            .submit(move |c: &Connection| Ok((f(c)?, false)))
            .await
    }

    /// Like [`Self::write`], for jobs that may create due work: `f` also returns whether it
    /// did, and the dispatcher is notified after the commit if so.
    async fn write_waking<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<(T, bool)> + Send + 'static,
    {
        self.writer.submit(f).await
    }

    /// Like [`Self::write_waking`], counted in the commit metrics as `tally`.
    async fn write_tallied<T, F>(&self, tally: writer::Tally<T>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<(T, bool)> + Send + 'static,
    {
        self.writer.submit_tallied(tally, f).await
    }

    /// Checkpoints and truncates the WAL after an expunge, so that frames written before it
    /// (which still hold the expunged bytes) are gone from the WAL file. The expunge is
    /// committed either way; if the WAL stays busy, its frames are overwritten when the
    /// checkpointer next rewinds it, and the failure is logged.
    async fn purge_wal(&self) {
        if let Err(e) = self.checkpointer.truncate().await {
            tracing::warn!(error = %e, "could not truncate the WAL after an expunge; old frames stay until it is rewound");
        }
    }

    /// Runs `f` on a read-only connection.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.reads.run(f).await
    }
}

/// Keeps the writer paused (see [`SqliteStore::pause_writer`]) while alive.
#[doc(hidden)]
pub struct WriterPause {
    _release: std::sync::mpsc::Sender<()>,
    _done: oneshot::Receiver<StoreResult<()>>,
}

/// Takes the advisory lock that keeps a second process off the same database file.
fn lock_exclusive(path: &Path) -> StoreResult<std::fs::File> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let file = private::open_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(rows::backend)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(crate::StoreError::backend(format!(
            "{} is in use by another sluice process (lock {})",
            path.display(),
            std::path::Path::new(&lock_path).display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(rows::backend(e)),
    }
}
