//! Migrations of the PostgreSQL schema and the version gate every node passes at start.
//!
//! `sluice migrate` ([`migrate`]) applies the migrations the database has not seen, each in
//! its own transaction together with the version bump, under a transaction-scoped advisory
//! lock, so two nodes migrating at once apply each migration once and a crash never leaves a
//! half-migrated schema. Nodes never migrate by themselves: [`check`] refuses to start on a
//! schema that is older than the binary (run `sluice migrate`) or too new for it.
//!
//! Rolling deploys: each migration says which oldest binary can still run on the schema it
//! produces (`compatible_with`, a schema version). Migrations that only add (tables,
//! nullable columns, indexes) keep old binaries compatible, so an upgrade is "migrate, then
//! replace nodes one by one"; a migration that removes or changes what old binaries read
//! raises `compatible_with` and its release notes say to stop old nodes first.

use tokio_postgres::Client;

use super::errors::pg;
use crate::{Context, StoreError, StoreResult};

/// One migration: its SQL, and the oldest schema version a binary may know and still run on
/// the schema this migration produces.
struct Migration {
    sql: &'static str,
    compatible_with: i32,
}

/// Migration `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[Migration] = &[
    Migration {
        sql: include_str!("migrations/0001_init.sql"),
        compatible_with: 1,
    },
    // Adds nullable message columns and an index: old binaries run on it (their messages
    // simply keep their payloads and carry no trace context).
    Migration {
        sql: include_str!("migrations/0002_retention.sql"),
        compatible_with: 1,
    },
    // Adds a table and indexes only: schema-1 binaries still run on it.
    Migration {
        sql: include_str!("migrations/0003_redrive.sql"),
        compatible_with: 1,
    },
    // Adds `endpoint_state` only: binaries of schema 1 still run.
    Migration {
        sql: include_str!("migrations/0004_delivery_control.sql"),
        compatible_with: 1,
    },
];

/// The schema version this binary is written for.
pub(crate) const CURRENT: i32 = MIGRATIONS.len() as i32;

/// Key of the advisory lock held while migrating ("sluice", then 1).
const MIGRATION_LOCK: i64 = 0x736c_7569_6365_0001;

/// What [`migrate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    /// The schema version found.
    pub from: i32,
    /// The schema version now.
    pub to: i32,
}

const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS sluice_schema (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    version         INTEGER NOT NULL,
    compatible_with INTEGER NOT NULL
)";

/// (version, compatible_with) of the schema in the connection's search path, `None` if it
/// has never been migrated.
async fn version(c: &Client) -> StoreResult<Option<(i32, i32)>> {
    let exists: bool = c
        .query_one("SELECT to_regclass('sluice_schema') IS NOT NULL", &[])
        .await
        .map_err(pg)?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let row = c
        .query_opt("SELECT version, compatible_with FROM sluice_schema", &[])
        .await
        .map_err(pg)?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Applies pending migrations.
pub(crate) async fn migrate(c: &mut Client) -> StoreResult<Migrated> {
    let tx = c.transaction().await.map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg)?;
    tx.batch_execute(VERSION_TABLE).await.map_err(pg)?;
    tx.commit().await.map_err(pg)?;

    let from = version(c).await?.map_or(0, |(v, _)| v);
    if from > CURRENT {
        return Err(newer(from));
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        let to = i as i32 + 1;
        let tx = c.transaction().await.map_err(pg)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(pg)?;
        // Another node may have applied it while this one waited for the lock.
        let seen: Option<i32> = tx
            .query_opt("SELECT version FROM sluice_schema", &[])
            .await
            .map_err(pg)?
            .map(|r| r.get(0));
        if seen.is_some_and(|v| v >= to) {
            continue;
        }
        tx.batch_execute(m.sql)
            .await
            .map_err(|e| StoreError::backend(Context::new(format!("migration {to}"), pg(e))))?;
        tx.execute(
            "INSERT INTO sluice_schema (id, version, compatible_with) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET version = $1, compatible_with = $2",
            &[&to, &m.compatible_with],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
    }
    let to = version(c).await?.map_or(0, |(v, _)| v);
    Ok(Migrated { from, to })
}

fn newer(found: i32) -> StoreError {
    StoreError::backend(format!(
        "the database schema is version {found}, newer than this binary supports \
         ({CURRENT}) and not compatible with it: run a newer sluice"
    ))
}

/// Refuses a schema this binary cannot run on, saying what to do.
pub(crate) async fn check(c: &Client) -> StoreResult<()> {
    match version(c).await? {
        None => Err(StoreError::backend(format!(
            "the PostgreSQL database has no Sluice schema: run `sluice migrate` \
             (with the same database_url) first; this binary needs schema version {CURRENT}"
        ))),
        Some((v, _)) if v < CURRENT => Err(StoreError::backend(format!(
            "the database schema is version {v}; this binary needs {CURRENT}: \
             run `sluice migrate` (with the same database_url) first"
        ))),
        Some((v, compatible_with)) if v > CURRENT && compatible_with > CURRENT => Err(newer(v)),
        Some((v, _)) => {
            if v > CURRENT {
                tracing::info!(
                    schema = v,
                    binary = CURRENT,
                    "running on a newer, compatible schema (a rolling deploy is under way)"
                );
            }
            Ok(())
        }
    }
}
