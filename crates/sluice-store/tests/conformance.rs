//! The conformance suite run against the SQLite backend, plus SQLite-only checks of the
//! group-committing writer.

mod suite;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sluice_core::model::DeliveryStatus;
use sluice_store::sqlite::{SqliteOptions, SqliteStore, Synchronous};
use sluice_store::{IdempotencyBegin, Store, StoreError};
use suite::*;

fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path, SqliteOptions::default()).expect("open sqlite store")
}

/// A store on a fresh file; the directory lives as long as the test holds it.
fn fresh() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(open(&dir.path().join("nested/dir/sluice.db")));
    (dir, store)
}

macro_rules! sqlite_suite {
    ($($module:ident :: $test:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let (_dir, store) = fresh();
                    suite::$module::$test(store).await;
                }
            )*
        }
    };
}

suite::every_test!(sqlite_suite);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_durable_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sluice.db");
    lifecycle::durable_across_reopen(|| Arc::new(open(&path)) as Dyn).await;
    // Reopening an up-to-date file applies no migration and keeps working.
    let again = open(&path);
    again.ping().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_second_process_is_refused_while_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sluice.db");
    let first = open(&path);
    let second = SqliteStore::open(&path, SqliteOptions::default());
    let err = second
        .err()
        .expect("a second open of a locked database must fail");
    assert!(err.to_string().contains("in use"), "{err}");
    drop(first);
    open(&path).ping().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_reopen_requeues_deliveries_left_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sluice.db");
    let (msg_id, ep_id) = {
        let s: Dyn = Arc::new(open(&path));
        let app = new_app(&s).await;
        let ep = new_endpoint(&s, &app.id, |_| {}).await;
        let (msg, n) = publish(&s, &app.id, "a.b", 1_000).await;
        assert_eq!(n, 1);
        // Claimed with a long lease, then the process "dies" without recording anything.
        let mut req = claim_req(1_000, 10, 10);
        req.lease_ms = 3_600_000;
        assert_eq!(s.claim_due(req).await.unwrap().len(), 1);
        let d = delivery(&s, &msg.id, &ep.id).await.unwrap();
        assert_eq!(d.status, DeliveryStatus::Sending);
        (msg.id, ep.id)
    };
    let s: Dyn = Arc::new(open(&path));
    let d = delivery(&s, &msg_id, &ep_id).await.unwrap();
    assert_eq!(
        d.status,
        DeliveryStatus::Pending,
        "in-flight delivery not requeued on open"
    );
    // Due now, not at the old lease's expiry an hour later.
    let now = sluice_core::now_millis();
    assert_eq!(s.claim_due(claim_req(now, 10, 10)).await.unwrap().len(), 1);
}

/// The SQLite store caches applications; every change must be visible to the next read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_app_reads_see_every_change() {
    let (_dir, s) = fresh();
    let s: Dyn = s;
    let mut app = new_app(&s).await;
    app.uid = Some("acme".into());
    s.update_app(app.clone()).await.unwrap();
    // Warm the cache under both keys.
    assert_eq!(
        s.get_app(&app.org_id, "acme").await.unwrap().unwrap().name,
        app.name
    );
    assert!(s.get_app(&app.org_id, &app.id).await.unwrap().is_some());

    app.name = "renamed".into();
    app.uid = Some("acme2".into());
    s.update_app(app.clone()).await.unwrap();
    assert_eq!(
        s.get_app(&app.org_id, &app.id).await.unwrap().unwrap().name,
        "renamed"
    );
    assert!(
        s.get_app(&app.org_id, "acme").await.unwrap().is_none(),
        "old uid still resolves"
    );
    assert_eq!(
        s.get_app(&app.org_id, "acme2").await.unwrap().unwrap().id,
        app.id
    );
    // Other orgs never see it, cached or not.
    assert!(s.get_app("org_other", &app.id).await.unwrap().is_none());

    s.delete_app(&app.org_id, &app.id).await.unwrap();
    assert!(
        s.get_app(&app.org_id, &app.id).await.unwrap().is_none(),
        "deleted app still resolves"
    );
    assert!(s.get_app(&app.org_id, "acme2").await.unwrap().is_none());
}

/// Readers racing a stream of updates never keep serving a value older than the last write.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_app_cache_is_not_poisoned_by_racing_reads() {
    let (_dir, s) = fresh();
    let s: Dyn = s;
    let mut app = new_app(&s).await;
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (s, org, id) = (s.clone(), app.org_id.clone(), app.id.clone());
            tokio::spawn(async move {
                for _ in 0..500 {
                    s.get_app(&org, &id).await.unwrap();
                }
            })
        })
        .collect();
    for i in 0..200 {
        app.name = format!("v{i}");
        s.update_app(app.clone()).await.unwrap();
    }
    for r in readers {
        r.await.unwrap();
    }
    assert_eq!(
        s.get_app(&app.org_id, &app.id).await.unwrap().unwrap().name,
        "v199"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_normal_synchronous_opens() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SqliteOptions {
        synchronous: Synchronous::Normal,
        read_connections: 1,
    };
    let store: Dyn = Arc::new(SqliteStore::open(&dir.path().join("n.db"), opts).unwrap());
    idempotency::claim_then_replay(store).await;
}

/// 2,000 concurrent publishes all succeed, and the writer grouped them: fewer commits than
/// writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_group_commit_under_concurrency() {
    let (_dir, store) = fresh();
    let before = store.commit_count();
    let took = lifecycle::concurrent_creates(store.clone(), 2_000).await;
    let commits = store.commit_count() - before;
    eprintln!("2000 concurrent create_message: {took:?}; {commits} commits (incl. 2 setup writes)");
    assert!(
        commits < 2_000,
        "no grouping: {commits} commits for 2002 writes"
    );
}

/// Jobs queued while the writer is busy commit as one batch, and the ones that fail (a
/// duplicate eventId, a missing endpoint, a missing app) are rolled back alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_failing_jobs_do_not_affect_their_batch() {
    let (_dir, store) = fresh();
    let s: Dyn = store.clone();
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    let mut taken = message_row(&app.id, "t", T0);
    taken.event_id = Some("taken".into());
    s.create_message(taken.clone(), None, T0).await.unwrap();

    let pause = store.pause_writer().await.unwrap();
    let commits_before = store.commit_count();
    let mut good = Vec::new();
    // (should fail, task)
    let mut jobs: Vec<(bool, tokio::task::JoinHandle<Result<(), StoreError>>)> = Vec::new();
    for i in 0..20 {
        let mut m = message_row(&app.id, "t", T0 + 1 + i);
        m.event_id = Some(format!("fresh-{i}"));
        good.push(m.clone());
        let s1 = s.clone();
        jobs.push((
            false,
            tokio::spawn(async move { s1.create_message(m, None, T0).await.map(|_| ()) }),
        ));
        if i % 4 == 0 {
            let mut dup = message_row(&app.id, "t", T0 + 100 + i);
            dup.event_id = Some("taken".into());
            let s1 = s.clone();
            jobs.push((
                true,
                tokio::spawn(async move { s1.create_message(dup, None, T0).await.map(|_| ()) }),
            ));
        }
    }
    let lost = message_row(&app.id, "t", T0 + 500);
    let s2 = s.clone();
    let lost2 = lost.clone();
    jobs.push((
        true,
        tokio::spawn(async move {
            s2.create_message(lost2, Some("ep_missing".into()), T0)
                .await
                .map(|_| ())
        }),
    ));
    let s3 = s.clone();
    jobs.push((
        true,
        tokio::spawn(async move { s3.update_app(app_row(T0)).await }),
    ));
    let expected = jobs.len();
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.queued_writes() < expected {
        assert!(Instant::now() < deadline, "writes never queued");
        tokio::task::yield_now().await;
    }
    drop(pause);

    for (should_fail, task) in jobs {
        let r = task.await.unwrap();
        if should_fail {
            assert!(
                matches!(r, Err(StoreError::Conflict(_) | StoreError::NotFound)),
                "{r:?}"
            );
        } else {
            r.expect("a good job failed because of its batch");
        }
    }
    // The paused batch and the batch of everything queued behind it.
    assert_eq!(
        store.commit_count() - commits_before,
        2,
        "the jobs were not one batch"
    );
    for m in &good {
        assert_eq!(
            s.get_message(&app.id, &m.id).await.unwrap().as_ref(),
            Some(m)
        );
        assert!(delivery(&s, &m.id, &ep.id).await.is_some());
    }
    assert!(s.get_message(&app.id, &lost.id).await.unwrap().is_none());
    assert_eq!(
        s.get_message(&app.id, "taken").await.unwrap().unwrap().id,
        taken.id
    );
}

/// The mode bits of `p` that matter here.
#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let path = data.join("sluice.db");
    {
        let store: Dyn = Arc::new(open(&path));
        new_app(&store).await;
        let db = path.display().to_string();
        assert_eq!(mode(&data), 0o700, "data dir");
        for f in [
            db.clone(),
            format!("{db}-wal"),
            format!("{db}-shm"),
            format!("{db}.lock"),
        ] {
            assert_eq!(mode(Path::new(&f)), 0o600, "{f}");
        }
    }
    // A file left world-readable (copied in, or made by an older version) is tightened.
    for suffix in ["", "-wal", "-shm"] {
        let f = format!("{}{suffix}", path.display());
        if Path::new(&f).exists() {
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let store: Dyn = Arc::new(open(&path));
    new_app(&store).await;
    assert_eq!(mode(&path), 0o600);
    let wal = format!("{}-wal", path.display());
    assert_eq!(mode(Path::new(&wal)), 0o600);
}

/// The database file and its WAL, as bytes (a missing WAL reads as empty).
fn file_bytes(db: &Path) -> Vec<u8> {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    let mut out = std::fs::read(db).expect("read database file");
    out.extend(std::fs::read(Path::new(&wal)).unwrap_or_default());
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// An expunged payload is in none of the files afterwards: not in the database file (also
/// after the checkpointer copied it there), not in the WAL, not in a cached idempotent
/// response; a payload stored inline and one spilling into overflow pages alike. Other
/// messages are untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_expunged_payload_leaves_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sluice.db");
    let s: Dyn = Arc::new(open(&path));
    let app = new_app(&s).await;
    new_endpoint(&s, &app.id, |_| {}).await;
    const MARK: &str = "expunge-marker-Zq7";
    let mut small = message_row(&app.id, "t", T0);
    small.payload = format!(r#"{{"card":"{MARK}-inline"}}"#);
    let mut large = message_row(&app.id, "t", T0 + 1);
    large.payload = format!(
        r#"{{"card":"{}"}}"#,
        format!("{MARK}-overflow ").repeat(1500)
    );
    let mut keep = message_row(&app.id, "t", T0 + 2);
    keep.payload = r#"{"note":"kept-intact-Zq7"}"#.into();
    for m in [&small, &large, &keep] {
        s.create_message(m.clone(), None, T0 + 3).await.unwrap();
    }
    let cached = format!(r#"{{"id":"{}","payload":{}}}"#, small.id, small.payload);
    let IdempotencyBegin::Run { token } =
        s.idempotency_begin("publish-key", T0, 1_000).await.unwrap()
    else {
        panic!("a new key runs");
    };
    let cached = sluice_store::CachedResponse {
        status: 202,
        body: cached.into_bytes(),
        msg_id: Some(small.id.clone()),
    };
    assert!(s
        .idempotency_finish("publish-key", token, cached, T0)
        .await
        .unwrap());
    // Wait (bounded) until the background checkpointer has copied the rows into the
    // database file itself, so the check below also covers that copy.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !contains(&std::fs::read(&path).unwrap(), MARK) {
        assert!(
            Instant::now() < deadline,
            "payload never reached the database file"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    for m in [&small, &large] {
        s.expunge_message_content(&app.id, &m.id, T0 + 10)
            .await
            .unwrap();
    }
    let bytes = file_bytes(&path);
    assert!(
        !contains(&bytes, MARK),
        "an expunged payload is still in the files"
    );
    assert!(
        contains(&bytes, "kept-intact-Zq7"),
        "other messages are untouched"
    );
    // The cached copy went with the payload: the key is free again.
    assert!(matches!(
        s.idempotency_begin("publish-key", T0 + 11, 1_000)
            .await
            .unwrap(),
        IdempotencyBegin::Run { .. }
    ));
    let kept = s.get_message(&app.id, &keep.id).await.unwrap().unwrap();
    assert_eq!(kept.payload, keep.payload);
}

/// Migration 3 drops the responses cached in clear by earlier versions (they may hold
/// secrets) and overwrites their pages: after the upgrade the file no longer holds them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_upgrade_drops_clear_text_cached_responses() {
    const SECRET: &[u8] = b"whsec_cachedInClearBeforeVersion3";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sluice.db");
    {
        let s = open(&path);
        let body = [b"{\"key\":\"".as_slice(), SECRET, b"\"}"].concat();
        let resp = sluice_store::CachedResponse {
            status: 200,
            body,
            msg_id: None,
        };
        let token = match s.idempotency_begin("k", T0, 1_000).await.unwrap() {
            IdempotencyBegin::Run { token } => token,
            other => panic!("{other:?}"),
        };
        assert!(s.idempotency_finish("k", token, resp, T0).await.unwrap());
    }
    // Put the file back at schema version 2, as an older binary left it.
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        // Undo versions 3 to 5 (portal tokens; message parity and integrations), and the
        // later ones' additions (retention columns, whose index names `expunged_at`;
        // background tasks and the dead-letter indexes; delivery control).
        c.execute_batch(
            "DROP INDEX message_payload_expiry; ALTER TABLE message DROP COLUMN trace_context; \
             ALTER TABLE message DROP COLUMN payload_expires_at; \
             DROP TABLE background_task; DROP INDEX delivery_endpoint_dead; \
             DROP INDEX delivery_app_dead; DROP TABLE portal_token; DROP TABLE message_tag; DROP TABLE integration; \
             DROP TABLE endpoint_state; \
             DROP INDEX idempotency_msg; ALTER TABLE idempotency DROP COLUMN msg_id; \
             ALTER TABLE message DROP COLUMN tags; ALTER TABLE message DROP COLUMN deliver_at; \
             ALTER TABLE message DROP COLUMN expunged_at; PRAGMA user_version = 2;",
        )
        .unwrap();
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM idempotency", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }
    let s = open(&path);
    assert!(matches!(
        s.idempotency_begin("k", T0, 1_000).await.unwrap(),
        IdempotencyBegin::Run { .. }
    ));
    drop(s);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET),
            "{} still holds the cached secret",
            p.display()
        );
    }
}
