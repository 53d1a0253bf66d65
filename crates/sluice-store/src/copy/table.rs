//! The generic copy of one table: its columns and their types come from the target's
//! `information_schema`, the same columns are selected from SQLite in primary-key order,
//! each value is converted by its PostgreSQL column type, and rows go in as multi-row
//! `INSERT ... ON CONFLICT DO NOTHING` batches.
//!
//! Each batch is its own transaction (a single statement, autocommitted), not one
//! transaction per table: a table of millions of messages would otherwise be one huge
//! transaction holding every row's locks and its WAL until the end, and an interruption
//! would throw all of it away. Since every insert skips rows that exist, re-running the
//! copy with `--into-non-empty` resumes where it stopped.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::mpsc;
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;

use super::value::{convert, size_of, Kind, PgValue};
use super::{CopyProgress, TableCopied, NOT_COPIED, TABLES};
use crate::{Context, StoreError, StoreResult};

/// Rows per `INSERT`, at most.
const BATCH_ROWS: usize = 500;
/// Bytes of values per `INSERT`, about: payloads may be large, and a batch is held in memory.
const BATCH_BYTES: usize = 8 << 20;

/// What copying one table needs: its columns (target order) and its primary key.
pub(super) struct Plan {
    table: &'static str,
    columns: Vec<(String, Kind)>,
    key: Vec<String>,
}

fn pg_err(what: String) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |e| StoreError::backend(Context::new(what, e))
}

fn sqlite_err(what: String) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| StoreError::backend(Context::new(what, e))
}

/// A read-only connection to the source inside one read transaction, after checking that
/// no delivery is in flight ([`super::SqliteStore::open`] requeued them: it must have).
pub(super) fn open_reader(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let what = format!("reading {}", path.display());
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite_err(what.clone()))?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(sqlite_err(what.clone()))?;
    conn.execute_batch("BEGIN")
        .map_err(sqlite_err(what.clone()))?;
    let sending: i64 = conn
        .query_row("SELECT count(*) FROM delivery WHERE status = 3", [], |r| {
            r.get(0)
        })
        .map_err(sqlite_err(what))?;
    if sending > 0 {
        return Err(StoreError::backend(format!(
            "{sending} deliveries are still marked in flight after opening the source"
        )));
    }
    Ok(conn)
}

/// Fails if the target has a table this copy does not know (one added to the schema and
/// forgotten here), or lacks one it copies.
pub(super) async fn check_tables(client: &Client) -> StoreResult<()> {
    let rows = client
        .query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            &[],
        )
        .await
        .map_err(pg_err("listing the target's tables".into()))?;
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    if let Some(unknown) = names
        .iter()
        .find(|n| !TABLES.contains(&n.as_str()) && !NOT_COPIED.contains(&n.as_str()))
    {
        return Err(StoreError::backend(format!(
            "the target has a table `{unknown}` that copy-store does not know"
        )));
    }
    if let Some(missing) = TABLES.iter().find(|t| !names.iter().any(|n| n == *t)) {
        return Err(StoreError::backend(format!(
            "the target has no table `{missing}`"
        )));
    }
    Ok(())
}

/// The columns and primary key of `table` in the target.
pub(super) async fn plan(client: &Client, table: &'static str) -> StoreResult<Plan> {
    let what = || format!("reading the target's columns of {table}");
    let rows = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            &[&table],
        )
        .await
        .map_err(pg_err(what()))?;
    let mut columns = Vec::with_capacity(rows.len());
    for r in &rows {
        let (name, ty): (String, String) = (r.get(0), r.get(1));
        let kind = match ty.as_str() {
            "text" => Kind::Text,
            "bigint" => Kind::BigInt,
            "integer" => Kind::Integer,
            "boolean" => Kind::Boolean,
            "bytea" => Kind::Bytea,
            other => {
                return Err(StoreError::backend(format!(
                    "{table}.{name}: column type {other} is not supported by copy-store"
                )))
            }
        };
        columns.push((name, kind));
    }
    let key = client
        .query(
            "SELECT k.column_name::text FROM information_schema.table_constraints c \
             JOIN information_schema.key_column_usage k ON k.constraint_schema = c.constraint_schema \
              AND k.constraint_name = c.constraint_name \
             WHERE c.table_schema = current_schema() AND c.table_name = $1 \
              AND c.constraint_type = 'PRIMARY KEY' ORDER BY k.ordinal_position",
            &[&table],
        )
        .await
        .map_err(pg_err(what()))?
        .iter()
        .map(|r| r.get(0))
        .collect::<Vec<String>>();
    if columns.is_empty() || key.is_empty() {
        return Err(StoreError::backend(format!(
            "the target's table {table} has no columns or no primary key"
        )));
    }
    Ok(Plan {
        table,
        columns,
        key,
    })
}

type Batch = Vec<Vec<PgValue>>;

/// Reads `plan.table` from `conn` in primary-key order, sending converted batches.
fn read(conn: &Connection, plan: &Plan, tx: mpsc::Sender<Batch>) -> StoreResult<()> {
    let table = plan.table;
    let cols: Vec<&str> = plan.columns.iter().map(|(n, _)| n.as_str()).collect();
    let sql = format!(
        "SELECT {} FROM {table} ORDER BY {}",
        quoted(&cols),
        quoted(&plan.key.iter().map(String::as_str).collect::<Vec<_>>())
    );
    let what = || format!("reading {table} from SQLite");
    let mut stmt = conn.prepare(&sql).map_err(sqlite_err(what()))?;
    let mut rows = stmt.query([]).map_err(sqlite_err(what()))?;
    let (mut batch, mut bytes) = (Batch::new(), 0usize);
    while let Some(row) = rows.next().map_err(sqlite_err(what()))? {
        let mut values = Vec::with_capacity(cols.len());
        for (i, (name, kind)) in plan.columns.iter().enumerate() {
            let raw: Value = row.get(i).map_err(sqlite_err(what()))?;
            let v = convert(raw, *kind)
                .map_err(|e| StoreError::backend(format!("{table}.{name}: {e}")))?;
            bytes += size_of(&v);
            values.push(v);
        }
        batch.push(values);
        if batch.len() >= BATCH_ROWS || bytes >= BATCH_BYTES {
            if tx.blocking_send(std::mem::take(&mut batch)).is_err() {
                return Ok(()); // the writer stopped; it reports why
            }
            bytes = 0;
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(batch);
    }
    Ok(())
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Copies one table: a blocking task reads SQLite while this inserts what it has read.
/// Returns the connection for the next table.
pub(super) async fn copy(
    conn: Connection,
    client: &Client,
    plan: Plan,
    progress: &mut dyn FnMut(CopyProgress),
) -> StoreResult<(Connection, TableCopied)> {
    let table = plan.table;
    let total: i64 = conn
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .map_err(sqlite_err(format!("counting {table} in SQLite")))?;
    progress(CopyProgress::Started {
        table,
        rows: total as u64,
    });
    let cols: Vec<&str> = plan.columns.iter().map(|(n, _)| n.as_str()).collect();
    let head = format!("INSERT INTO {table} ({}) VALUES ", quoted(&cols));
    let width = cols.len();
    let (tx, mut rx) = mpsc::channel::<Batch>(2);
    let reader = tokio::task::spawn_blocking(move || {
        let out = read(&conn, &plan, tx);
        (conn, out)
    });
    let mut copied = TableCopied {
        table,
        read: 0,
        inserted: 0,
    };
    let mut failed = None;
    while let Some(batch) = rx.recv().await {
        let mut sql = head.clone();
        for r in 0..batch.len() {
            let marks: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            let sep = if r == 0 { "" } else { ", " };
            sql.push_str(&format!("{sep}({})", marks.join(", ")));
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        let params: Vec<&(dyn ToSql + Sync)> = batch
            .iter()
            .flatten()
            .map(|v| v as &(dyn ToSql + Sync))
            .collect();
        match client.execute(sql.as_str(), &params).await {
            Ok(n) => copied.inserted += n,
            Err(e) => {
                failed = Some(StoreError::backend(Context::new(
                    format!("writing {table} to the target"),
                    e,
                )));
                break;
            }
        }
        copied.read += batch.len() as u64;
        progress(CopyProgress::Rows {
            table,
            done: copied.read,
        });
    }
    drop(rx); // a reader still sending stops
    let (conn, read_out) = reader.await.map_err(StoreError::backend)?;
    if let Some(e) = failed {
        return Err(e);
    }
    read_out?;
    Ok((conn, copied))
}
