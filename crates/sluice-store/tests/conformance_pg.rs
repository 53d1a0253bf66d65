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

/// Two nodes on one schema: what a single node's connection pool already exercises, with
/// the work split across two stores, as a cluster runs it.
mod two_nodes {
    use sluice_store::IdempotencyBegin;

    use super::*;

    /// A second store on the schema of `schema` (another node of the cluster).
    async fn second_node(schema: &TestSchema) -> Arc<PgStore> {
        let store = PgStore::connect(schema.url(), PgOptions::default())
            .await
            .expect("connect the second node");
        Arc::new(store)
    }

    /// Edits of one endpoint made concurrently from two nodes all survive (the row lock
    /// holds across nodes, not only within one node's pool).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn edits_from_two_nodes_all_survive() {
        let (schema, a) = fresh().await;
        let b = second_node(&schema).await;
        let nodes: [Dyn; 2] = [a, b];
        let app = new_app(&nodes[0]).await;
        let ep = new_endpoint(&nodes[0], &app.id, |e| e.metadata.clear()).await;
        const EDITS: usize = 30;
        let tasks: Vec<_> = (0..EDITS)
            .map(|i| {
                let s = nodes[i % 2].clone();
                let (app_id, ep_id) = (app.id.clone(), ep.id.clone());
                tokio::spawn(async move {
                    s.edit_endpoint(
                        &app_id,
                        &ep_id,
                        Box::new(move |e| {
                            e.metadata.insert(format!("k{i}"), i.to_string());
                            Ok(())
                        }),
                    )
                    .await
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("edit task").expect("edit");
        }
        let stored = nodes[1].get_endpoint(&app.id, &ep.id).await.unwrap();
        assert_eq!(stored.expect("endpoint").metadata.len(), EDITS);
    }

    /// Concurrent claims of one idempotency key from two nodes: exactly one runs, and after
    /// it abandons the claim exactly one caller (on either node) takes it over, with a
    /// larger token.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn idempotency_claims_from_two_nodes_run_once() {
        let (schema, a) = fresh().await;
        let b = second_node(&schema).await;
        let nodes: [Dyn; 2] = [a, b];
        let round = |now: i64| {
            let tasks: Vec<_> = (0..24)
                .map(|i| {
                    let s = nodes[i % 2].clone();
                    tokio::spawn(async move { s.idempotency_begin("k", now, 30_000).await })
                })
                .collect();
            async move {
                let mut tokens = Vec::new();
                for t in tasks {
                    match t.await.unwrap().unwrap() {
                        IdempotencyBegin::Run { token } => tokens.push(token),
                        IdempotencyBegin::InFlight => {}
                        other => panic!("unexpected {other:?}"),
                    }
                }
                tokens
            }
        };
        let first = round(T0).await;
        assert_eq!(first.len(), 1, "one caller runs");
        nodes[1].idempotency_abandon("k", first[0]).await.unwrap();
        let second = round(T0 + 1).await;
        assert_eq!(second.len(), 1, "one caller takes the abandoned claim over");
        assert!(second[0] > first[0], "the new claim fences the old one");
        assert!(!nodes[0]
            .idempotency_renew("k", first[0], T0 + 2, 30_000)
            .await
            .unwrap());
    }
}
