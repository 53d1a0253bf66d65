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

    /// Two nodes claiming one throttled endpoint concurrently together keep its rate: every
    /// reservation of either is `1/rate` after the previous one of both (the claim advances
    /// one shared theoretical arrival time under the cluster-wide claim lock).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn throttle_holds_across_two_nodes() {
        let (schema, a) = fresh().await;
        let b = second_node(&schema).await;
        let nodes: [Dyn; 2] = [a, b];
        let app = new_app(&nodes[0]).await;
        let ep = new_endpoint(&nodes[0], &app.id, |e| e.throttle_rate = Some(20)).await;
        for i in 0..200 {
            publish(&nodes[0], &app.id, "t", T0 + i).await;
        }
        let mut times = Vec::new();
        // Both nodes claim at the same instants, concurrently, over 5 simulated seconds.
        for step in 0..10 {
            let now = T0 + 1_000 + step * 500;
            let (x, y) = tokio::join!(
                nodes[0].claim_due(claim_req(now, 100, 100)),
                nodes[1].claim_due(claim_req(now, 100, 100))
            );
            for c in x.unwrap().into_iter().chain(y.unwrap()) {
                assert_eq!(c.endpoint.id, ep.id);
                assert!(c.not_before >= now && c.not_before <= now + 1_000);
                times.push(c.not_before);
            }
        }
        times.sort();
        assert!(times.len() >= 100, "{} reservations", times.len());
        for w in times.windows(2) {
            assert!(w[1] - w[0] >= 50, "reservations closer than 1/rate: {w:?}");
        }
        // Over any window the two nodes together stay within the rate (one reservation
        // per 50 ms, the first at the window's start).
        let span = times.last().unwrap() - times.first().unwrap();
        assert!(times.len() as i64 <= span / 50 + 1);
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

    /// Two nodes run one recover task over 40 dead letters in batches of 7, each claiming
    /// it in turn (the lease expiring between turns) while the other, its lease lost, keeps
    /// sending its stale batch: every dead letter is re-queued once, and the task's
    /// progress counts each once. Concurrent claims of several tasks give each to one node.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tasks_from_two_nodes_run_each_batch_once() {
        use sluice_core::model::DeliveryStatus;
        use sluice_store::{DeadLetterFilter, TaskAction, TaskStatus};
        use suite::tasks::{dead_letters, step, task_row};

        let (schema, a) = fresh().await;
        let b = second_node(&schema).await;
        let nodes: [Dyn; 2] = [a, b];
        let app = new_app(&nodes[0]).await;
        let ep = new_endpoint(&nodes[0], &app.id, |_| {}).await;
        dead_letters(&nodes[0], &app.id, "t", 40, 500, T0).await;
        let t = task_row("endpoint.recover", T0 + 200);
        nodes[0].create_task(t.clone()).await.unwrap();

        let lease = 1_000;
        let mut now = T0 + 1_000;
        let mut requeued = 0;
        let mut stale_refused = 0;
        for turn in 0.. {
            let node = &nodes[turn % 2];
            let other = &nodes[(turn + 1) % 2];
            let Some(c) = node
                .claim_task(&format!("n{turn}"), now, lease)
                .await
                .unwrap()
            else {
                break;
            };
            let filter = DeadLetterFilter {
                app_id: app.id.clone(),
                endpoint_id: Some(ep.id.clone()),
                failed_before: Some(t.created_at + 1),
                ..DeadLetterFilter::default()
            };
            let mut p = page(7);
            p.iterator = c.task.cursor.clone();
            let batch = node.list_dead_letters(filter, p).await.unwrap();
            let ids: Vec<String> = batch.items.iter().map(|d| d.delivery_id.clone()).collect();
            let cursor = ids
                .last()
                .cloned()
                .or(c.task.cursor.clone())
                .unwrap_or_default();
            let action = TaskAction::Requeue {
                delivery_ids: ids.clone(),
                from: vec![DeliveryStatus::Fail],
            };
            let mut s = step(&t.id, c.token, &cursor, action.clone());
            if !batch.has_more {
                s.finish = Some(TaskStatus::Finished);
            }
            requeued += node
                .advance_task(s, now, lease)
                .await
                .unwrap()
                .expect("fenced in");
            // The lease runs out; the other node takes the task over on its next turn, and
            // this node's copy of the same batch, sent late, is refused.
            now += 2 * lease;
            if other
                .claim_task("peek", now, lease)
                .await
                .unwrap()
                .is_some()
            {
                let late = node
                    .advance_task(step(&t.id, c.token, "zz", action), now, lease)
                    .await
                    .unwrap();
                assert_eq!(late, None, "a lost lease writes nothing");
                stale_refused += 1;
                now += 2 * lease;
            }
        }
        assert_eq!(requeued, 40);
        assert!(stale_refused >= 4, "the nodes took turns ({stale_refused})");
        let end = nodes[1].get_task(ORG, &t.id).await.unwrap().unwrap();
        assert_eq!(
            (end.status, end.data["n"].as_u64()),
            (TaskStatus::Finished, Some(40))
        );
        let pending = deliveries_to(&nodes[0], &ep.id)
            .await
            .into_iter()
            .filter(|(_, d)| d.status == DeliveryStatus::Pending && d.round_attempts == 0)
            .count();
        assert_eq!(pending, 40);

        // Concurrent claims: three tasks, twelve claimers on two nodes, each task once.
        let made: Vec<_> = (0..3)
            .map(|i| task_row("endpoint.replay", T0 + 10 + i))
            .collect();
        for t in &made {
            nodes[0].create_task(t.clone()).await.unwrap();
        }
        let claims: Vec<_> = (0..12)
            .map(|i| {
                let s = nodes[i % 2].clone();
                tokio::spawn(async move { s.claim_task(&format!("c{i}"), now, 60_000).await })
            })
            .collect();
        let mut got = Vec::new();
        for c in claims {
            if let Some(c) = c.await.unwrap().unwrap() {
                got.push(c.task.id);
            }
        }
        got.sort();
        let mut want: Vec<_> = made.iter().map(|t| t.id.clone()).collect();
        want.sort();
        assert_eq!(got, want);
    }
}

/// Several nodes on one database: two `PgStore`s on one schema.
mod nodes {
    use std::collections::BTreeSet;
    use std::time::Instant;

    use sluice_core::model::DeliveryStatus;
    use sluice_core::queue::{ClaimRequest, Claimed, DeliveryNext, Outcome};
    use sluice_store::QueueStore;

    use super::*;

    /// Two nodes on a fresh schema.
    async fn two_nodes() -> (TestSchema, Arc<PgStore>, Arc<PgStore>) {
        let (schema, a) = fresh().await;
        let b = PgStore::connect(schema.url(), PgOptions::default())
            .await
            .expect("connect the second node");
        (schema, a, Arc::new(b))
    }

    /// A plain connection to the schema, for looking at rows directly.
    async fn sql(schema: &TestSchema) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(schema.url(), tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(conn);
        client
    }

    /// Deliveries of `ep` in flight at `now` on every node.
    async fn in_flight(c: &tokio_postgres::Client, ep: &str, now: i64) -> i64 {
        c.query_one(
            "SELECT count(*) FROM delivery WHERE endpoint_id = $1 AND status = $2 \
             AND next_attempt_at > $3",
            &[&ep, &(DeliveryStatus::Sending as i32), &now],
        )
        .await
        .expect("count in flight")
        .get(0)
    }

    fn finished(claimed: &[Claimed]) -> Vec<Outcome> {
        claimed
            .iter()
            .map(|c| Outcome {
                delivery_id: c.delivery.id.clone(),
                lease: c.lease,
                attempt: None,
                next: DeliveryNext::Succeeded,
                disable_endpoint: false,
                retry_after_ms: None,
            })
            .collect()
    }

    /// While two nodes hold leases of an endpoint, they hold at most `per_endpoint` in all;
    /// claiming concurrently, every delivery is claimed exactly once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn claims_across_nodes_hold_the_endpoint_bound() {
        let (schema, a, b) = two_nodes().await;
        let s: Dyn = a.clone();
        let app = new_app(&s).await;
        let ep = new_endpoint(&s, &app.id, |_| {}).await;
        let publishes = (0..60).map(|i| {
            let (s, app_id) = (s.clone(), app.id.clone());
            async move { publish(&s, &app_id, "t", T0 + i).await }
        });
        futures::future::join_all(publishes).await;
        let c = sql(&schema).await;
        let now = T0 + 100;
        let per = 4;

        // A holds 2; B may add only 2; then A, no longer alone, gets none.
        let a1 = a.claim_due(claim_req(now, 2, per)).await.unwrap();
        assert_eq!(a1.len(), 2);
        let b1 = b.claim_due(claim_req(now, 10, per)).await.unwrap();
        assert_eq!(b1.len(), 2, "B counts A's leases");
        let a2 = a.claim_due(claim_req(now, 10, per)).await.unwrap();
        assert!(a2.is_empty(), "A counts B's leases");
        assert_eq!(in_flight(&c, &ep.id, now).await, 4);
        let mut seen: Vec<String> = a1
            .iter()
            .chain(&b1)
            .map(|c| c.delivery.id.clone())
            .collect();
        a.record_outcomes(finished(&a1)).await.unwrap();
        b.record_outcomes(finished(&b1)).await.unwrap();

        // Both nodes claim, check, finish, claim again, until the queue is empty.
        let run = |node: Arc<PgStore>| {
            let ep_id = ep.id.clone();
            let c = &c;
            async move {
                let mut got = Vec::new();
                loop {
                    let claimed = node.claim_due(claim_req(now, 10, per)).await.unwrap();
                    let held = in_flight(c, &ep_id, now).await;
                    assert!(held <= per as i64, "{held} in flight across nodes");
                    if claimed.is_empty() && held == 0 {
                        return got;
                    }
                    got.extend(claimed.iter().map(|c| c.delivery.id.clone()));
                    node.record_outcomes(finished(&claimed)).await.unwrap();
                    tokio::task::yield_now().await;
                }
            }
        };
        let (from_a, from_b) = tokio::join!(run(a.clone()), run(b.clone()));
        assert!(!from_a.is_empty() || !from_b.is_empty());
        seen.extend(from_a);
        seen.extend(from_b);
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "a delivery was claimed twice");
        assert_eq!(seen.len(), 60, "every delivery is claimed");
    }

    /// A message written on one node wakes the dispatcher of another (LISTEN/NOTIFY).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_on_one_node_wakes_another() {
        let (_schema, a, b) = two_nodes().await;
        let s: Dyn = a.clone();
        let app = new_app(&s).await;
        new_endpoint(&s, &app.id, |_| {}).await;
        let signal = b.work_signal();
        // B's listener signals once when its LISTEN is in place; nothing else has notified.
        tokio::time::timeout(PATIENCE, signal.notified())
            .await
            .expect("B listens");
        let (_, n) = publish(&s, &app.id, "t", T0).await;
        assert_eq!(n, 1);
        tokio::time::timeout(PATIENCE, signal.notified())
            .await
            .expect("B woken by A's commit");
    }

    /// An outcome under a lease that expired and was taken over by another node does not
    /// overwrite that node's result; its attempt is still recorded.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stale_outcome_from_another_node_is_fenced() {
        let (_schema, a, b) = two_nodes().await;
        let s: Dyn = a.clone();
        let app = new_app(&s).await;
        let ep = new_endpoint(&s, &app.id, |_| {}).await;
        let (msg, _) = publish(&s, &app.id, "t", T0).await;
        let req = |now| ClaimRequest {
            lease_ms: 1_000,
            ..claim_req(now, 10, 10)
        };
        let old = a.claim_due(req(T0)).await.unwrap().pop().expect("A claims");
        assert!(b.claim_due(req(T0 + 999)).await.unwrap().is_empty());
        let new = b
            .claim_due(req(T0 + 1_000))
            .await
            .unwrap()
            .pop()
            .expect("B reclaims the expired lease");
        assert_eq!(new.delivery.id, old.delivery.id);
        assert_ne!(new.lease, old.lease);

        let done = attempt_row(&new, 200, DeliveryStatus::Success, T0 + 1_100);
        b.record_outcomes(vec![Outcome {
            attempt: Some(done),
            ..finished(std::slice::from_ref(&new)).remove(0)
        }])
        .await
        .unwrap();
        let stale = attempt_row(&old, 500, DeliveryStatus::Fail, T0 + 1_200);
        a.record_outcomes(vec![Outcome {
            delivery_id: old.delivery.id.clone(),
            lease: old.lease,
            attempt: Some(stale.clone()),
            next: DeliveryNext::RetryAt(T0 + 5_000),
            disable_endpoint: false,
            retry_after_ms: None,
        }])
        .await
        .unwrap();
        let d = delivery(&s, &msg.id, &ep.id).await.unwrap();
        assert_eq!(d.status, DeliveryStatus::Success, "B's result stands");
        assert_eq!((d.attempts, d.next_attempt_at), (1, None));
        let got = s.get_attempt(&app.id, &msg.id, &stale.id).await.unwrap();
        assert_eq!(got, Some(stale), "the stale try is still recorded");
    }

    /// Concurrent `create_message` calls on one node share transactions.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_messages_share_commits() {
        let (_schema, store) = fresh().await;
        let s: Dyn = store.clone();
        let app = new_app(&s).await;
        new_endpoint(&s, &app.id, |_| {}).await;
        let calls = 400;
        let before = store.commit_count();
        let tasks: Vec<_> = (0..calls)
            .map(|i| {
                let (s, app_id) = (s.clone(), app.id.clone());
                tokio::spawn(async move { publish(&s, &app_id, "t", T0 + i).await })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().1, 1);
        }
        let commits = store.commit_count() - before;
        assert!(commits >= 1);
        assert!(
            commits < calls as u64,
            "{calls} messages took {commits} commits"
        );
        let all = collect(|p| s.list_messages(&app.id, Default::default(), p)).await;
        assert_eq!(all.len(), calls as usize);
    }

    /// Ingest throughput on this machine (run by hand: `-- --ignored --nocapture`).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore]
    async fn ingest_throughput() {
        let (_schema, store) = fresh().await;
        let s: Dyn = store.clone();
        let app = new_app(&s).await;
        for _ in 0..3 {
            new_endpoint(&s, &app.id, |_| {}).await;
        }
        let (writers, each) = (64, 100);
        let started = Instant::now();
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let (s, app_id) = (s.clone(), app.id.clone());
                tokio::spawn(async move {
                    for i in 0..each {
                        publish(&s, &app_id, "t", T0 + w * each + i).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let took = started.elapsed();
        let n = (writers * each) as f64;
        println!(
            "{n} messages (3 deliveries each) in {took:?}: {:.0} msg/s, {} commits",
            n / took.as_secs_f64().max(f64::EPSILON),
            store.commit_count()
        );
    }
}

/// The migration gate: a node refuses a schema it was not built for, saying what to run,
/// and accepts a newer one that declares itself compatible (a rolling deploy).
mod schema_gate {
    use super::*;
    use sluice_store::{Store, StoreError};

    async fn sql(schema: &TestSchema, text: &str) {
        let (c, conn) = tokio_postgres::connect(schema.url(), tokio_postgres::NoTls)
            .await
            .expect("connect");
        let driver = tokio::spawn(conn);
        c.batch_execute(text).await.expect(text);
        drop(c);
        let _ = driver.await;
    }

    async fn connect_error(schema: &TestSchema) -> String {
        match PgStore::connect(schema.url(), PgOptions::default()).await {
            Ok(_) => panic!("connected to a schema it must refuse"),
            Err(e @ StoreError::Backend(_)) => e.to_string(),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unmigrated_and_incompatible_schemas_are_refused() {
        let schema = TestSchema::create().await.expect("test database");
        let err = connect_error(&schema).await;
        assert!(err.contains("sluice migrate"), "{err}");

        // Concurrent migrations (two nodes deploying at once) apply it once, both succeed.
        let (a, b) = tokio::join!(
            PgStore::migrate(schema.url()),
            PgStore::migrate(schema.url())
        );
        let (a, b) = (a.expect("migrate a"), b.expect("migrate b"));
        // Not a hard-coded version: each area adds its migrations.
        assert!(a.to >= 1 && a.to == b.to, "{a:?} {b:?}");
        assert!(a.from == 0 || b.from == 0);
        let again = PgStore::migrate(schema.url()).await.expect("migrate again");
        assert_eq!(
            (again.from, again.to),
            (a.to, a.to),
            "nothing left to apply"
        );
        PgStore::connect(schema.url(), PgOptions::default())
            .await
            .expect("a migrated schema is accepted");

        // A newer schema an older binary can still run on: accepted.
        sql(
            &schema,
            "UPDATE sluice_schema SET version = 1000, compatible_with = 1",
        )
        .await;
        PgStore::connect(schema.url(), PgOptions::default())
            .await
            .expect("a compatible newer schema is accepted");
        // A newer schema that is not: refused, saying so; migrate does not downgrade it.
        sql(
            &schema,
            "UPDATE sluice_schema SET version = 1000, compatible_with = 999",
        )
        .await;
        let err = connect_error(&schema).await;
        assert!(err.contains("newer"), "{err}");
        assert!(PgStore::migrate(schema.url()).await.is_err());
    }

    /// A job lease is held by one node at a time, renewed by its holder, and taken over
    /// by another node once it has expired.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn job_leases_lead_one_node_at_a_time() {
        let (schema, a) = fresh().await;
        let b = PgStore::connect(schema.url(), PgOptions::default())
            .await
            .expect("second node");
        let ttl = 60_000;
        assert!(a.try_lead("maintenance", "node-a", T0, ttl).await.unwrap());
        assert!(!b
            .try_lead("maintenance", "node-b", T0 + 1, ttl)
            .await
            .unwrap());
        // The holder renews before expiry; the other node still cannot take it.
        assert!(a
            .try_lead("maintenance", "node-a", T0 + 50_000, ttl)
            .await
            .unwrap());
        assert!(!b
            .try_lead("maintenance", "node-b", T0 + 70_000, ttl)
            .await
            .unwrap());
        // Another job is independent.
        assert!(b.try_lead("other", "node-b", T0, ttl).await.unwrap());
        // After the holder stops renewing, the lease expires and the other node leads.
        assert!(b
            .try_lead("maintenance", "node-b", T0 + 110_000, ttl)
            .await
            .unwrap());
        assert!(!a
            .try_lead("maintenance", "node-a", T0 + 110_001, ttl)
            .await
            .unwrap());
    }
}
