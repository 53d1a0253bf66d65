//! Copying a SQLite database into PostgreSQL (`sluice copy-store`): how an installation
//! moves from the embedded store to a cluster.
//!
//! [`sqlite_to_postgres`] opens the SQLite file with [`SqliteStore::open`] first and keeps
//! it open for the whole copy. That takes the file's exclusive lock (no `sluice serve` can
//! write meanwhile, and one that is running makes the copy fail), applies pending SQLite
//! migrations, and puts deliveries left in flight back in the queue, so no delivery arrives
//! in PostgreSQL leased to a process that no longer exists. Rows are read through a separate
//! read-only connection, inside one read transaction (one snapshot for every table).
//!
//! The target is migrated with [`PgStore::migrate`] and must hold no application, source
//! or message, unless [`CopyOptions::into_non_empty`] is set. Every insert is
//! `ON CONFLICT DO NOTHING`, so with that flag rows whose key exists are skipped, which is
//! also how a re-run resumes a copy that was interrupted.
//!
//! Copied: every table (`endpoint_state` too, so open circuits and failing clocks carry
//! over) except `idempotency` (cached responses to retried requests, minutes
//! to live; the keys start afresh) and `job_lease` (PostgreSQL-only). Sealed secrets are
//! copied as the bytes they are: both backends use the same encryption key, from the data
//! directory or the configuration, so the nodes on PostgreSQL must be given that key.

mod table;
mod value;

use std::path::{Path, PathBuf};

use tokio_postgres::NoTls;

use crate::postgres::PgStore;
use crate::sqlite::{SqliteOptions, SqliteStore};
use crate::{Context, StoreError};

/// Tables copied, parents before children (there are no foreign keys, but a reader of a
/// half-copied target then sees whole parents).
pub const TABLES: &[&str] = &[
    "application",
    "event_type",
    "endpoint",
    "endpoint_state",
    "integration",
    "source",
    "source_token",
    "inbound_dedupe",
    "portal_token",
    "message",
    "message_tag",
    "delivery",
    "attempt",
    "background_task",
];

/// Tables of the target that are not copied (see the module doc), and its version table.
pub const NOT_COPIED: &[&str] = &["idempotency", "job_lease", "sluice_schema"];

/// Options of [`sqlite_to_postgres`].
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// Copy into a target that already holds applications, sources or messages, skipping
    /// the rows whose key (or other unique rule) is already taken.
    pub into_non_empty: bool,
}

/// What [`sqlite_to_postgres`] reports while it runs, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyProgress {
    /// Copying of `table` starts; it has `rows` rows.
    Started { table: &'static str, rows: u64 },
    /// `done` rows of `table` have been written (inserted or skipped) so far.
    Rows { table: &'static str, done: u64 },
    /// `table` is copied.
    Finished(TableCopied),
}

/// The rows of one table: how many were read, and how many of those were new to the target
/// (the others were skipped because their key existed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopied {
    pub table: &'static str,
    pub read: u64,
    pub inserted: u64,
}

impl TableCopied {
    /// Rows skipped because the target already had them.
    pub fn skipped(&self) -> u64 {
        self.read - self.inserted
    }
}

/// The counts of a finished copy, one entry per table of [`TABLES`], in that order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<TableCopied>,
}

impl CopyReport {
    /// Rows read from SQLite, all tables together.
    pub fn read(&self) -> u64 {
        self.tables.iter().map(|t| t.read).sum()
    }

    /// Rows inserted into PostgreSQL, all tables together.
    pub fn inserted(&self) -> u64 {
        self.tables.iter().map(|t| t.inserted).sum()
    }

    /// The count of one table (0 if absent).
    pub fn inserted_into(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|t| t.table == table)
            .map_or(0, |t| t.inserted)
    }
}

/// Why a copy did not run, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The SQLite file does not exist (it is not created: that would copy nothing).
    #[error("{} does not exist", .0.display())]
    SourceMissing(PathBuf),
    /// The target already holds data and [`CopyOptions::into_non_empty`] is not set.
    /// Nothing was written.
    #[error(
        "the target database is not empty ({applications} applications, {sources} sources, \
         {messages} messages); to copy into it anyway (or to resume an interrupted copy) \
         pass --into-non-empty, which skips the rows it already has"
    )]
    TargetNotEmpty {
        applications: i64,
        sources: i64,
        messages: i64,
    },
    /// Opening, reading or writing a database failed (a running server holding the SQLite
    /// file is one such failure).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copies the SQLite database at `from` into the PostgreSQL database at `to_url` (see the
/// module doc), calling `progress` as tables and batches go by.
pub async fn sqlite_to_postgres(
    from: &Path,
    to_url: &str,
    opts: CopyOptions,
    progress: &mut dyn FnMut(CopyProgress),
) -> Result<CopyReport, CopyError> {
    if !from.is_file() {
        return Err(CopyError::SourceMissing(from.to_path_buf()));
    }
    // Held until the copy returns: the lock keeps servers off the file.
    let _store = SqliteStore::open(
        from,
        SqliteOptions {
            read_connections: 1,
            ..SqliteOptions::default()
        },
    )?;
    let mut reader = Some(table::open_reader(from)?);

    PgStore::migrate(to_url).await?;
    let config: tokio_postgres::Config = to_url
        .parse()
        .map_err(|e| StoreError::backend(Context::new("parsing the target URL", e)))?;
    let (client, conn) = config
        .connect(NoTls)
        .await
        .map_err(|e| StoreError::unavailable(Context::new("connecting to the target", e)))?;
    let driver = tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::warn!(error = %e, "copy connection ended");
        }
    });
    let out = async {
        table::check_tables(&client).await?;
        if !opts.into_non_empty {
            refuse_non_empty(&client).await?;
        }
        let mut report = CopyReport::default();
        for &name in TABLES {
            let plan = table::plan(&client, name).await?;
            let conn = reader
                .take()
                .expect("the reader comes back after each table");
            let (conn, copied) = table::copy(conn, &client, plan, progress).await?;
            reader = Some(conn);
            progress(CopyProgress::Finished(copied.clone()));
            report.tables.push(copied);
        }
        Ok(report)
    }
    .await;
    drop(client);
    let _ = driver.await;
    out
}

/// `TargetNotEmpty` if the target holds any application, source or message.
async fn refuse_non_empty(client: &tokio_postgres::Client) -> Result<(), CopyError> {
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM application), (SELECT count(*) FROM source), \
             (SELECT count(*) FROM message)",
            &[],
        )
        .await
        .map_err(|e| StoreError::backend(Context::new("counting the target's rows", e)))?;
    let (applications, sources, messages): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    if applications + sources + messages > 0 {
        return Err(CopyError::TargetNotEmpty {
            applications,
            sources,
            messages,
        });
    }
    Ok(())
}
