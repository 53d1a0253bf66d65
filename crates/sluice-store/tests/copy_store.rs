//! `copy::sqlite_to_postgres`: a SQLite store filled through the `Store` trait arrives in
//! a fresh PostgreSQL schema row for row and byte for byte (checked by plain SQL on both
//! sides, since the PostgreSQL backend's reads are not needed for it); a second copy is
//! refused unless asked for, and then adds nothing; a file held by a server is refused.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rusqlite::types::Value;
use sluice_core::ids;
use sluice_core::model::{
    Application, Attempt, DeliveryStatus, Endpoint, EventType, InboundMeta, Integration, Message,
    RetiredSecret, Source, Trigger,
};
use sluice_core::queue::{ClaimRequest, DeliveryNext, Outcome};
use sluice_store::copy::{self, CopyError, CopyOptions, CopyProgress, CopyReport, TABLES};
use sluice_store::postgres::test_schema::TestSchema;
use sluice_store::sqlite::{SqliteOptions, SqliteStore};
use sluice_store::{PortalToken, Store};
use tokio_postgres::NoTls;

const ORG: &str = "org_copy";
const T0: i64 = 1_700_000_000_000;

/// Bytes that are not text: what sealed secrets look like.
fn sealed(seed: u8) -> Vec<u8> {
    (0..48u8)
        .map(|i| i.wrapping_mul(37) ^ seed)
        .chain([0, 0xff])
        .collect()
}

fn app(id_t: i64, uid: Option<&str>) -> Application {
    Application {
        id: ids::new_id(ids::APP, id_t),
        org_id: ORG.into(),
        uid: uid.map(Into::into),
        name: "Acme ✓".into(),
        throttle_rate: Some(10),
        metadata: BTreeMap::from([("tier".into(), "gold".into())]),
        created_at: id_t,
        updated_at: id_t + 1,
    }
}

fn message(app_id: &str, t: i64) -> Message {
    Message {
        id: ids::new_id(ids::MESSAGE, t),
        app_id: app_id.into(),
        event_type: "invoice.paid".into(),
        event_id: Some(format!("evt_{t}")),
        channels: Some(vec!["billing".into()]),
        payload: r#"{"amount":42,"note":"naïve"}"#.into(),
        inbound: None,
        tags: Some(vec!["a".into(), "b".into()]),
        deliver_at: None,
        expunged_at: None,
        payload_expires_at: None,
        trace_context: None,
        created_at: t,
    }
}

fn claim(now: i64) -> ClaimRequest {
    ClaimRequest {
        now,
        lease_ms: 30_000,
        limit: 10,
        per_endpoint: 10,
        exclude_endpoints: vec![],
        per_app: usize::MAX,
        app_room: Default::default(),
    }
}

/// Fills a store at `path` with a row in every copied table, a delivery of each state
/// (one left in flight when the store closes) and a cached idempotent response.
async fn fill(path: &Path) {
    let s: Arc<dyn Store> = Arc::new(SqliteStore::open(path, SqliteOptions::default()).unwrap());
    let a = app(T0, Some("acme"));
    s.create_app(a.clone()).await.unwrap();
    s.create_app(app(T0 + 5, None)).await.unwrap();
    s.create_event_type(EventType {
        org_id: ORG.into(),
        name: "invoice.paid".into(),
        description: "paid".into(),
        schemas: Some(serde_json::json!({"1": {"type": "object"}})),
        archived: false,
        deprecated: true,
        feature_flag: Some("beta".into()),
        created_at: T0,
        updated_at: T0,
    })
    .await
    .unwrap();
    let ep = Endpoint {
        id: ids::new_id(ids::ENDPOINT, T0),
        app_id: a.id.clone(),
        uid: Some("main".into()),
        url: "https://example.com/hook".into(),
        description: "main".into(),
        version: 1,
        disabled: false,
        event_types: Some(vec!["invoice.paid".into()]),
        channels: None,
        throttle_rate: None,
        metadata: BTreeMap::new(),
        headers: sealed(1),
        secret: sealed(2),
        retired_secrets: vec![RetiredSecret {
            sealed: sealed(3),
            expires_at: T0 + 1000,
        }],
        created_at: T0,
        updated_at: T0,
    };
    s.create_endpoint(ep.clone()).await.unwrap();
    let integ = Integration {
        id: ids::new_id(ids::INTEGRATION, T0),
        app_id: a.id.clone(),
        name: "crm".into(),
        feature_flags: vec!["x".into()],
        key: sealed(4),
        created_at: T0,
        updated_at: T0,
    };
    s.create_integration(integ, "keyhash".into()).await.unwrap();
    // A running task under a lease, so every column of its row has a value to copy.
    s.create_task(sluice_store::Task {
        id: ids::new_id(ids::TASK, T0),
        org_id: ORG.into(),
        app_id: Some(a.id.clone()),
        endpoint_id: Some(ep.id.clone()),
        kind: "endpoint.recover".into(),
        status: sluice_store::TaskStatus::Running,
        params: serde_json::json!({"since": T0}),
        data: serde_json::json!({"messagesSent": 0}),
        cursor: Some("msg_x".into()),
        created_at: T0,
        updated_at: T0,
    })
    .await
    .unwrap();
    s.claim_task("node", T0, 60_000)
        .await
        .unwrap()
        .expect("claimed");
    let src_app = app(T0 + 10, Some("stripe-in"));
    let src = Source {
        id: ids::new_id(ids::SOURCE, T0),
        org_id: ORG.into(),
        app_id: src_app.id.clone(),
        uid: None,
        name: "stripe".into(),
        kind: "stripe".into(),
        config: sealed(5),
        token: sealed(6),
        metadata: BTreeMap::new(),
        created_at: T0,
        updated_at: T0,
    };
    s.create_source(src_app.clone(), src.clone(), "tokenhash".into())
        .await
        .unwrap();
    let mut inbound = message(&src_app.id, T0 + 20);
    inbound.inbound = Some(InboundMeta {
        content_type: "application/json".into(),
        headers: vec![("stripe-signature".into(), "t=1,v1=x".into())],
    });
    s.create_inbound_message(&src.id, inbound, Some("evt_in".into()), T0 + 20)
        .await
        .unwrap();
    s.create_portal_token(PortalToken {
        id: "jti_1".into(),
        org_id: ORG.into(),
        app_id: a.id.clone(),
        session_id: Some("sess".into()),
        created_at: T0,
        valid_until: T0 + 3_600_000,
    })
    .await
    .unwrap();

    // A finished delivery with its attempt.
    s.create_message(message(&a.id, T0 + 100), None, T0 + 100)
        .await
        .unwrap();
    let c = s.claim_due(claim(T0 + 100)).await.unwrap().remove(0);
    let attempt = Attempt {
        id: ids::new_id(ids::ATTEMPT, T0 + 101),
        delivery_id: c.delivery.id.clone(),
        msg_id: c.delivery.msg_id.clone(),
        endpoint_id: c.delivery.endpoint_id.clone(),
        app_id: c.delivery.app_id.clone(),
        url: ep.url.clone(),
        response: "ok".into(),
        response_status_code: 200,
        response_duration_ms: 12,
        status: DeliveryStatus::Success,
        trigger: Trigger::Scheduled,
        error_class: None,
        created_at: T0 + 101,
    };
    s.record_outcomes(vec![Outcome {
        delivery_id: c.delivery.id.clone(),
        lease: c.lease,
        attempt: Some(attempt),
        next: DeliveryNext::Succeeded,
        disable_endpoint: false,
        retry_after_ms: None,
    }])
    .await
    .unwrap();
    // One left in flight, as by a server that died.
    s.create_message(message(&a.id, T0 + 200), None, T0 + 200)
        .await
        .unwrap();
    assert_eq!(s.claim_due(claim(T0 + 200)).await.unwrap().len(), 1);
    // One pending, due tomorrow.
    let mut later = message(&a.id, T0 + 300);
    later.deliver_at = Some(T0 + 86_400_000);
    s.create_message(later, None, T0 + 300).await.unwrap();
    // A cached response: not copied.
    s.idempotency_begin("idem-1", T0, 60_000).await.unwrap();
    drop(s);
}

/// A value as both sides can show it (booleans as 0/1, as SQLite keeps them).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum V {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

type Rows = Vec<Vec<V>>;

/// Every copied table of the SQLite file, all columns, sorted.
fn sqlite_dump(path: &Path) -> BTreeMap<&'static str, Rows> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut out = BTreeMap::new();
    for &t in TABLES {
        let mut st = c.prepare(&format!("SELECT * FROM {t}")).unwrap();
        let n = st.column_count();
        let mut rows: Rows = st
            .query_map([], |r| {
                (0..n)
                    .map(|i| {
                        Ok(match r.get::<_, Value>(i)? {
                            Value::Null => V::Null,
                            Value::Integer(i) => V::Int(i),
                            Value::Text(s) => V::Text(s),
                            Value::Blob(b) => V::Bytes(b),
                            Value::Real(f) => panic!("a real in {t}: {f}"),
                        })
                    })
                    .collect()
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.insert(t, rows);
    }
    out
}

async fn pg(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

/// The same tables of the PostgreSQL schema, columns in the same order (the schemas name
/// them alike, and SQLite's `ALTER TABLE ADD COLUMN`s append in the target's order).
async fn pg_dump(url: &str) -> BTreeMap<&'static str, Rows> {
    use tokio_postgres::types::Type;
    let c = pg(url).await;
    let mut out = BTreeMap::new();
    for &t in TABLES {
        let rows = c.query(&format!("SELECT * FROM {t}"), &[]).await.unwrap();
        let mut dump: Rows = rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        let ty = r.columns()[i].type_().clone();
                        let v = if ty == Type::TEXT {
                            r.get::<_, Option<String>>(i).map(V::Text)
                        } else if ty == Type::INT8 {
                            r.get::<_, Option<i64>>(i).map(V::Int)
                        } else if ty == Type::INT4 {
                            r.get::<_, Option<i32>>(i).map(|v| V::Int(v.into()))
                        } else if ty == Type::BOOL {
                            r.get::<_, Option<bool>>(i).map(|v| V::Int(v.into()))
                        } else if ty == Type::BYTEA {
                            r.get::<_, Option<Vec<u8>>>(i).map(V::Bytes)
                        } else {
                            panic!("{t}: unexpected type {ty}")
                        };
                        v.unwrap_or(V::Null)
                    })
                    .collect()
            })
            .collect();
        dump.sort();
        out.insert(t, dump);
    }
    out
}

async fn run(from: &Path, to: &str, into_non_empty: bool) -> Result<CopyReport, CopyError> {
    let mut events = Vec::new();
    let out = copy::sqlite_to_postgres(from, to, CopyOptions { into_non_empty }, &mut |p| {
        events.push(p)
    })
    .await;
    if let Ok(report) = &out {
        let finished = events
            .iter()
            .filter(|e| matches!(e, CopyProgress::Finished(_)))
            .count();
        assert_eq!(finished, report.tables.len(), "one Finished per table");
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_every_row_byte_for_byte_and_refuses_a_second_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sluice.db");
    fill(&path).await;
    let schema = TestSchema::create().await.expect("PostgreSQL answers");

    let report = run(&path, schema.url(), false).await.expect("copy");
    let source = sqlite_dump(&path);
    for (t, rows) in &source {
        assert!(!rows.is_empty(), "the fixture has a row in {t}");
        assert_eq!(report.inserted_into(t), rows.len() as u64, "{t}");
    }
    assert_eq!(report.read(), report.inserted());
    let target = pg_dump(schema.url()).await;
    for t in TABLES {
        assert_eq!(source[t], target[t], "table {t} differs");
    }

    let c = pg(schema.url()).await;
    let in_flight: i64 = c
        .query_one("SELECT count(*) FROM delivery WHERE status = 3", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(in_flight, 0, "no delivery arrives in flight");
    let statuses: Vec<i32> = c
        .query("SELECT status FROM delivery ORDER BY created_at, id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(statuses, vec![0, 1, 1], "finished, requeued, pending");
    let cached: i64 = c
        .query_one("SELECT count(*) FROM idempotency", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(cached, 0, "cached responses are not copied");

    // Again without the flag: refused, and nothing written.
    let err = run(&path, schema.url(), false).await.unwrap_err();
    assert!(
        matches!(
            err,
            CopyError::TargetNotEmpty {
                applications: 3,
                sources: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("--into-non-empty"), "{err}");
    assert_eq!(pg_dump(schema.url()).await, target);

    // With it: every row is already there, so nothing is added.
    let again = run(&path, schema.url(), true).await.expect("copy again");
    assert_eq!(again.inserted(), 0);
    assert_eq!(again.read(), report.read());
    assert!(again.tables.iter().all(|t| t.skipped() == t.read));
    assert_eq!(pg_dump(schema.url()).await, target);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_held_by_a_server_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sluice.db");
    let held = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    held.create_app(app(T0, None)).await.unwrap();
    let schema = TestSchema::create().await.expect("PostgreSQL answers");

    let err = run(&path, schema.url(), false).await.unwrap_err();
    assert!(matches!(err, CopyError::Store(_)), "{err:?}");
    assert!(err.to_string().contains("in use"), "{err}");
    let c = pg(schema.url()).await;
    let tables: i64 = c
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
            &[&schema.name()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "the target was not touched");
    drop(held);
}

#[tokio::test]
async fn a_missing_file_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.db");
    let err = run(&path, "postgres://u@127.0.0.1:1/x", false)
        .await
        .unwrap_err();
    assert!(matches!(err, CopyError::SourceMissing(_)), "{err:?}");
    assert!(!path.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_rows_go_in_batches_and_a_partial_copy_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sluice.db");
    {
        let opts = SqliteOptions {
            synchronous: sluice_store::sqlite::Synchronous::Normal,
            ..SqliteOptions::default()
        };
        let s = Arc::new(SqliteStore::open(&path, opts).unwrap());
        let a = app(T0, None);
        s.create_app(a.clone()).await.unwrap();
        let writes = (0..1_234).map(|i| {
            let s = s.clone();
            let m = message(&a.id, T0 + i);
            async move { s.create_message(m, None, T0).await.unwrap() }
        });
        futures::future::join_all(writes).await;
    }
    let schema = TestSchema::create().await.expect("PostgreSQL answers");
    let mut seen = Vec::new();
    let report = copy::sqlite_to_postgres(&path, schema.url(), CopyOptions::default(), &mut |p| {
        if let CopyProgress::Rows {
            table: "message",
            done,
        } = p
        {
            seen.push(done);
        }
    })
    .await
    .unwrap();
    assert_eq!(seen, vec![500, 1000, 1234], "batches of 500");
    assert_eq!(report.inserted_into("message"), 1_234);
    assert_eq!(report.inserted_into("message_tag"), 2 * 1_234);
    let full = pg_dump(schema.url()).await;
    assert_eq!(full, sqlite_dump(&path));

    // As if the copy had stopped partway: the rest arrives on a re-run with the flag.
    let c = pg(schema.url()).await;
    let gone = c
        .execute(
            "DELETE FROM message WHERE id IN (SELECT id FROM message ORDER BY id DESC LIMIT 300)",
            &[],
        )
        .await
        .unwrap();
    let again = run(&path, schema.url(), true).await.unwrap();
    assert_eq!(again.inserted_into("message"), gone);
    assert_eq!(again.inserted(), gone);
    assert_eq!(pg_dump(schema.url()).await, full);
}
