//! A throw-away schema per test, so that tests share one PostgreSQL database and still run
//! in parallel without seeing each other's rows (or each other's `NOTIFY`s). A testing aid
//! for this crate's and the server's tests; never used by serving code.

use tokio_postgres::NoTls;

use super::errors::pg;
use crate::StoreResult;

/// The test database when `SLUICE_TEST_DATABASE_URL` is not set: what
/// `scripts/ensure-postgres` creates.
pub const DEFAULT_TEST_URL: &str = "postgres://sluice_test:sluice_test@127.0.0.1:5432/sluice_test";

/// The base URL tests use: `SLUICE_TEST_DATABASE_URL`, or [`DEFAULT_TEST_URL`].
pub fn base_url() -> String {
    std::env::var("SLUICE_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_URL.to_string())
}

/// A schema that exists until this is dropped; [`TestSchema::url`] points at it.
pub struct TestSchema {
    base: String,
    name: String,
    url: String,
}

impl TestSchema {
    /// Creates a fresh, empty schema in the database at [`base_url`]. Fails (loudly) when
    /// that database does not answer: a missing database must not turn into skipped tests.
    pub async fn create() -> StoreResult<TestSchema> {
        let base = base_url();
        let name = format!("t_{:016x}", rand::random::<u64>());
        run(&base, &format!("CREATE SCHEMA {name}")).await?;
        let sep = if base.contains('?') { '&' } else { '?' };
        // The application name marks the schema's sessions, so the cleanup can end them.
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}&application_name={name}");
        Ok(TestSchema { base, name, url })
    }

    /// A URL whose connections use this schema.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Keeps the schema after the test (for looking at it by hand).
    pub fn keep(mut self) -> String {
        std::mem::take(&mut self.name)
    }
}

async fn run(url: &str, sql: &str) -> StoreResult<()> {
    let config: tokio_postgres::Config = url.parse().map_err(crate::StoreError::backend)?;
    let (client, conn) = config.connect(NoTls).await.map_err(pg)?;
    let driver = tokio::spawn(conn);
    let out = client.batch_execute(sql).await.map_err(pg);
    drop(client);
    let _ = driver.await;
    out
}

/// Ends the sessions still using schema `name` (a server of the test that has not shut down
/// yet may hold locks in an open transaction, which would make the DROP wait), then drops it.
async fn drop_schema(base: &str, name: &str) -> StoreResult<()> {
    run(
        base,
        &format!(
            "SET lock_timeout = '5s';
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE application_name = '{name}' AND pid <> pg_backend_pid();
             DROP SCHEMA IF EXISTS {name} CASCADE"
        ),
    )
    .await
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        if self.name.is_empty() {
            return;
        }
        let (base, name) = (self.base.clone(), std::mem::take(&mut self.name));
        // Drop may run on the test's runtime thread, which may also be the one that drives
        // the server's connections: the cleanup gets its own thread and runtime, and this
        // waits for it only a bounded time (scripts/ensure-postgres drops leftovers).
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    if let Err(e) = drop_schema(&base, &name).await {
                        eprintln!("could not drop test schema {name}: {e}");
                    }
                });
            }
            let _ = done_tx.send(());
        });
        let _ = done_rx.recv_timeout(std::time::Duration::from_secs(10));
    }
}
