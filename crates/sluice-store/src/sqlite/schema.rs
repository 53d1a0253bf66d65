//! Connection setup and embedded migrations.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::rows::backend;
use super::Synchronous;
use crate::{Context, StoreError, StoreResult};

/// Embedded migrations; migration `i` brings the schema to `PRAGMA user_version = i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_inbound.sql"),
    include_str!("migrations/0003_portal_tokens.sql"),
    include_str!("migrations/0004_message_parity.sql"),
    include_str!("migrations/0005_integrations.sql"),
    include_str!("migrations/0006_idempotency_claims.sql"),
    include_str!("migrations/0007_retention.sql"),
    include_str!("migrations/0008_metrics.sql"),
    include_str!("migrations/0009_redrive.sql"),
    include_str!("migrations/0010_delivery_control.sql"),
];

/// How long a connection waits for a lock held by another connection (a checkpoint, or a
/// second process on the same file) before giving up with `SQLITE_BUSY`, which the store
/// reports as `Unavailable` (the API's 503).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Page cache of the writer. Index inserts land all over the delivery indexes; with
/// SQLite's 2 MiB default the writer keeps re-reading pages it just wrote.
const WRITER_CACHE_KIB: u32 = 65_536;
/// Page cache of each reader.
const READER_CACHE_KIB: u32 = 16_384;

/// Enough cached statements for every distinct query text the store issues, so the hot path
/// never re-parses SQL (list queries vary with their filters, hence the margin).
const STATEMENT_CACHE: usize = 128;

/// Opens the read-write connection, creating the file (and its directory) if missing, and
/// configures it for the single writer.
pub(crate) fn open_writer(path: &Path, sync: Synchronous) -> StoreResult<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| backend(Context::new(format!("creating {}", dir.display()), e)))?;
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(backend)?;
    common_setup(&conn)?;
    // WAL lets readers proceed while the writer commits; the mode is persistent in the file.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(backend)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::backend(format!(
            "could not enable WAL (journal_mode = {mode})"
        )));
    }
    let sync = match sync {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {sync}; PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY; \
         PRAGMA cache_size = -{WRITER_CACHE_KIB}; PRAGMA wal_autocheckpoint = 0;"
    ))
    .map_err(backend)?;
    Ok(conn)
}

/// Opens the connection of the background checkpointer (see [`super::checkpointer`]).
pub(crate) fn open_checkpointer(path: &Path, sync: Synchronous) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(backend)?;
    common_setup(&conn)?;
    let sync = match sync {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.execute_batch(&format!("PRAGMA synchronous = {sync};"))
        .map_err(backend)?;
    Ok(conn)
}

/// Opens one read-only connection of the read pool.
pub(crate) fn open_reader(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(backend)?;
    common_setup(&conn)?;
    conn.execute_batch(&format!("PRAGMA cache_size = -{READER_CACHE_KIB};"))
        .map_err(backend)?;
    Ok(conn)
}

fn common_setup(conn: &Connection) -> StoreResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Applies the migrations the file has not seen yet, each in its own transaction together
/// with the `user_version` bump, so a crash never leaves a half-migrated schema.
pub(crate) fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(backend)?;
    let known = MIGRATIONS.len() as i64;
    if current > known {
        return Err(StoreError::backend(format!(
            "database schema version {current} is newer than this binary supports ({known})"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        let tx = conn.transaction().map_err(backend)?;
        tx.execute_batch(sql)
            .map_err(|e| StoreError::backend(Context::new(format!("migration {}", i + 1), e)))?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
    }
    Ok(())
}
