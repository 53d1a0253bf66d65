//! `sluice prune --older-than` through the binary, on SQLite and on PostgreSQL: old
//! finished messages go, in batches of `--batch-size`; an old message with a delivery
//! still to make, and recent ones, stay; progress goes to stderr and a summary to stdout.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;

use sluice_core::ids;
use sluice_core::model::{Application, Endpoint, Message};
use sluice_store::postgres::test_schema::TestSchema;
use sluice_store::postgres::{PgOptions, PgStore};
use sluice_store::sqlite::{SqliteOptions, SqliteStore};
use sluice_store::Store;

const BIN: &str = env!("CARGO_BIN_EXE_sluice");
const DAY: i64 = 86_400_000;

fn message(app_id: &str, t: i64) -> Message {
    Message {
        id: ids::new_id(ids::MESSAGE, t),
        app_id: app_id.into(),
        event_type: "t".into(),
        payload: "{}".into(),
        created_at: t,
        ..Message::default()
    }
}

/// What the store holds before the prune: (old finished, old pending, recent) messages.
struct Seeded {
    app_id: String,
    finished: Vec<String>,
    pending: String,
    recent: Vec<String>,
}

/// Five messages from 40 days ago with no delivery to make (no endpoint yet), then an
/// endpoint, then one from 40 days ago whose delivery waits, and two from now.
async fn seed(store: Arc<dyn Store>) -> Seeded {
    let now = sluice_core::now_millis();
    let old = now - 40 * DAY;
    let app = Application {
        id: ids::new_id(ids::APP, old),
        org_id: sluice_server::auth::DEFAULT_ORG.into(),
        uid: None,
        name: "A".into(),
        throttle_rate: None,
        metadata: BTreeMap::new(),
        created_at: old,
        updated_at: old,
    };
    store.create_app(app.clone()).await.unwrap();
    let mut finished = Vec::new();
    for _ in 0..5 {
        let m = message(&app.id, old);
        store.create_message(m.clone(), None, old).await.unwrap();
        finished.push(m.id);
    }
    let ep = Endpoint {
        id: ids::new_id(ids::ENDPOINT, old),
        app_id: app.id.clone(),
        uid: None,
        url: "https://example.com/hook".into(),
        description: String::new(),
        version: 1,
        disabled: false,
        event_types: None,
        channels: None,
        throttle_rate: None,
        metadata: BTreeMap::new(),
        headers: Vec::new(),
        secret: vec![1, 2, 3],
        retired_secrets: Vec::new(),
        created_at: old,
        updated_at: old,
    };
    store.create_endpoint(ep).await.unwrap();
    let pending = message(&app.id, old);
    assert_eq!(
        store
            .create_message(pending.clone(), None, old)
            .await
            .unwrap(),
        1
    );
    let mut recent = Vec::new();
    for _ in 0..2 {
        let m = message(&app.id, now);
        store.create_message(m.clone(), None, now).await.unwrap();
        recent.push(m.id);
    }
    Seeded {
        app_id: app.id,
        finished,
        pending: pending.id,
        recent,
    }
}

async fn check(store: Arc<dyn Store>, s: &Seeded) {
    for id in &s.finished {
        assert!(
            store.get_message(&s.app_id, id).await.unwrap().is_none(),
            "pruned"
        );
    }
    for id in s.recent.iter().chain([&s.pending]) {
        assert!(
            store.get_message(&s.app_id, id).await.unwrap().is_some(),
            "kept"
        );
    }
}

fn prune(dir: &std::path::Path, env: &[(&str, &str)]) -> (String, String) {
    let out = Command::new(BIN)
        .args([
            "prune",
            "--older-than",
            "30d",
            "--batch-size",
            "2",
            "--data-dir",
        ])
        .arg(dir)
        .envs(env.iter().copied())
        .output()
        .expect("sluice prune runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    (stdout, stderr)
}

#[tokio::test]
async fn prune_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sluice.db");
    let open = || -> Arc<dyn Store> {
        Arc::new(SqliteStore::open(&db, SqliteOptions::default()).unwrap())
    };
    let seeded = seed(open()).await;
    let (stdout, stderr) = prune(dir.path(), &[]);
    assert!(
        stderr.contains("pruning attempts and finished messages from before"),
        "{stderr}"
    );
    assert_eq!(stdout.trim(), "pruned 0 attempts, 5 messages, 0 deliveries");
    check(open(), &seeded).await;
    // A second pass has nothing left to do.
    let (stdout, _) = prune(dir.path(), &[]);
    assert_eq!(stdout.trim(), "pruned 0 attempts, 0 messages, 0 deliveries");
}

#[tokio::test]
async fn prune_on_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("the PostgreSQL test database answers (run scripts/ensure-postgres)");
    PgStore::migrate(schema.url()).await.unwrap();
    let store: Arc<dyn Store> = Arc::new(
        PgStore::connect(schema.url(), PgOptions::default())
            .await
            .unwrap(),
    );
    let seeded = seed(store.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let (stdout, _) = prune(dir.path(), &[("SLUICE_DATABASE_URL", schema.url())]);
    assert_eq!(stdout.trim(), "pruned 0 attempts, 5 messages, 0 deliveries");
    check(store, &seeded).await;
}

#[test]
fn prune_refuses_an_age_without_a_unit() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["prune", "--older-than", "30", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a unit"), "{err}");
}
