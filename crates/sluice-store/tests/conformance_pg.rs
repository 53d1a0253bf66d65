//! The conformance suite run against the PostgreSQL backend, each test on its own schema of
//! the test database (`SLUICE_TEST_DATABASE_URL`, see `scripts/ensure-postgres`), plus
//! PostgreSQL-only checks: the migration gate, the error mapping, wake-ups across stores.

mod suite;

use std::sync::Arc;

use sluice_store::postgres::test_schema::TestSchema;
use sluice_store::postgres::{PgOptions, PgStore};
use suite::*;

/// A migrated store on a fresh schema; the schema lives as long as the test holds it.
async fn fresh() -> (TestSchema, Arc<PgStore>) {
    let schema = TestSchema::create()
        .await
        .expect("the PostgreSQL test database answers (run scripts/ensure-postgres)");
    PgStore::migrate(schema.url()).await.expect("migrate");
    let store = PgStore::connect(schema.url(), PgOptions::default())
        .await
        .expect("connect");
    (schema, Arc::new(store))
}

macro_rules! pg_suite {
    ($($module:ident :: $test:ident),* $(,)?) => {
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let (_schema, store) = fresh().await;
                    suite::$module::$test(store).await;
                }
            )*
        }
    };
}

suite::every_test!(pg_suite);
