//! PostgreSQL backend of [`Store`](crate::Store): many stateless nodes on one database.
//!
//! - A pool of connections ([`deadpool_postgres`]); each statement is prepared once per
//!   connection (`prepare_cached`). A pool that cannot hand out a connection in time, or a
//!   lost connection, is `Unavailable` (the API's 503); the pool reconnects by itself.
//! - Concurrent message writes of one node are batched into shared transactions by the
//!   [`ingest`] writer, as the SQLite writer group-commits, so ingest is not one commit per
//!   request.
//! - Claims lease rows with `FOR UPDATE SKIP LOCKED` in short transactions, serialised
//!   across nodes by an advisory lock so that per-endpoint and per-application bounds hold
//!   for the cluster, not per node; each claim sets a fencing token that outcomes must match
//!   ([`claim`], [`outcomes`]).
//! - Commits that create due work are followed by a `NOTIFY` (coalesced, outside the
//!   writing transaction: [`notifier`]) on a channel every node `LISTEN`s on ([`listen`]),
//!   which wakes idle dispatchers on all nodes; their periodic poll is only the fallback.
//! - Statements live in `.sql` files under `queries/<table>/<verb>.sql`, named as the
//!   SQLite backend's are, rendered by [`crate::sql`].

mod apps;
mod claim;
mod control;
mod db;
mod depths;
mod endpoints;
mod errors;
mod event_types;
mod expunge;
mod idempotency;
mod ingest;
mod integrations;
mod jobs;
mod listen;
mod messages;
mod notifier;
mod outcomes;
mod page;
mod portal_tokens;
mod queries;
mod queue_impl;
mod redrive;
mod retention;
mod rows;
mod schema;
mod sources;
mod store_impl;
mod tasks;
#[doc(hidden)]
pub mod test_schema;
mod views;

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::sync::Notify;
use tokio_postgres::NoTls;

use crate::{StoreError, StoreResult};
pub use schema::Migrated;

/// Options of [`PgStore::connect`].
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Connections in the pool (`database_pool_size`).
    pub pool_size: usize,
    /// How long a request waits for a free connection (or a new one) before it is told the
    /// database is unavailable.
    pub acquire_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// The PostgreSQL store. Share it as `Arc<dyn Store>`.
pub struct PgStore {
    pool: Pool,
    work: Arc<Notify>,
    /// Wakes the other nodes after commits that created due work.
    notifier: Arc<notifier::Notifier>,
    ingest: ingest::Writer,
    /// The lease tokens this node hands out (they say which node holds a claim).
    leases: claim::Leases,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Parses a `postgres://` URL (or libpq `key=value` string).
///
/// This build speaks to PostgreSQL without TLS, so a URL that requires it
/// (`sslmode=require`) is refused here, with what to do instead, rather than failing at the
/// handshake; `prefer` (the default) connects in clear.
fn parse(url: &str) -> StoreResult<tokio_postgres::Config> {
    let config = url
        .parse::<tokio_postgres::Config>()
        .map_err(|e| StoreError::backend(crate::Context::new("parsing database_url", e)))?;
    if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        return Err(StoreError::backend(
            "database_url asks for sslmode=require, but this build connects to PostgreSQL \
             without TLS: reach the database over a private network, a Unix socket or a local \
             TLS tunnel, and drop sslmode=require (see docs/OPERATIONS.md)",
        ));
    }
    Ok(config)
}

impl PgStore {
    /// Applies pending migrations to the database at `url` (`sluice migrate`).
    pub async fn migrate(url: &str) -> StoreResult<Migrated> {
        let config = parse(url)?;
        let (mut client, conn) = config.connect(NoTls).await.map_err(errors::pg)?;
        let driver = tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::warn!(error = %e, "migration connection ended");
            }
        });
        let out = schema::migrate(&mut client).await;
        drop(client);
        let _ = driver.await;
        out
    }

    /// Connects to the database at `url`, checks that its schema is the one this binary
    /// runs on (see [`PgStore::migrate`]), and starts listening for work.
    pub async fn connect(url: &str, opts: PgOptions) -> StoreResult<PgStore> {
        let config = parse(url)?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(opts.pool_size.max(2))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(opts.acquire_timeout))
            .create_timeout(Some(opts.acquire_timeout))
            .recycle_timeout(Some(opts.acquire_timeout))
            .build()
            .map_err(StoreError::backend)?;
        let client = pool.get().await.map_err(errors::pool)?;
        schema::check(&client).await?;
        queries::check_all().map_err(StoreError::backend)?;
        let schema_name: String = client
            .query_one("SELECT current_schema()", &[])
            .await
            .map_err(errors::pg)?
            .get(0);
        drop(client);
        let channel: Arc<str> = listen::channel_name(&schema_name).into();
        let work = Arc::new(Notify::new());
        let (ready, listening) = tokio::sync::oneshot::channel();
        let node: Arc<str> = format!("{:016x}", rand::random::<u64>()).into();
        let listener = listen::spawn(config, channel.clone(), work.clone(), node.clone(), ready);
        // Serve once wake-ups arrive; a database that does not let us listen in time still
        // gets served, the dispatcher's poll being the fallback (the listener keeps trying).
        if tokio::time::timeout(opts.acquire_timeout, listening)
            .await
            .is_err()
        {
            tracing::warn!("PostgreSQL LISTEN not in place yet; relying on polling meanwhile");
        }
        let notifier = Arc::new(notifier::Notifier::spawn(pool.clone(), channel, node));
        let ingest = ingest::Writer::spawn(pool.clone(), notifier.clone(), work.clone());
        Ok(PgStore {
            pool,
            work,
            notifier,
            ingest,
            leases: claim::Leases::random(),
            listener,
        })
    }

    /// Ingest transactions committed by this node since connecting. Fewer commits than
    /// messages means writes were batched; tests and metrics use it.
    pub fn commit_count(&self) -> u64 {
        self.ingest.commits()
    }

    /// After a commit that created due work: wakes this node's dispatcher at once and the
    /// other nodes' through a notification.
    fn committed_work(&self) {
        self.work.notify_one();
        self.notifier.committed_work();
    }

    /// A pooled connection, or `Unavailable`.
    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(errors::pool)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_that_require_tls_are_refused_with_what_to_do() {
        let err = parse("postgres://u:secret@db.internal/sluice?sslmode=require")
            .expect_err("refused")
            .to_string();
        assert!(
            err.contains("sslmode=require") && !err.contains("secret"),
            "{err}"
        );
        for ok in [
            "postgres://u@db.internal/sluice",
            "postgres://u@db.internal/sluice?sslmode=disable",
            "postgres:///sluice?host=/var/run/postgresql",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
    }
}
