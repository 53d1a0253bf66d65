//! `sluice copy-store` on the real binary: the data dir a `sluice serve` node wrote (an app,
//! an endpoint with a secret, a message whose delivery was in flight when the node was
//! killed) is copied into a fresh PostgreSQL schema.
//!
//! Checked by SQL on the target, then by serving it: a node started on the copy (same data dir,
//! so the same keys) shows the app and opens the endpoint's sealed secret, and delivers the
//! message whose delivery was in flight when the SQLite node died.

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::{post, receiver, token, Node, BIN};
use serde_json::{json, Value};
use sluice_store::postgres::test_schema::TestSchema;
use tokio_postgres::NoTls;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn copy_store(db: &std::path::Path, to: &str, extra: &[&str]) -> (Output, String) {
    let out = Command::new(BIN)
        .arg("copy-store")
        .arg(format!("--from=sqlite:{}", db.display()))
        .arg(format!("--to={to}"))
        .args(extra)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("sluice copy-store runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

/// Whether the output shows the password of `url` (`user:password@`).
fn shows_password(text: &str, url: &str) -> bool {
    let userinfo = url.split("://").nth(1).and_then(|r| r.split_once('@'));
    match userinfo.and_then(|(u, _)| u.split_once(':')) {
        Some((_, password)) => text.contains(&format!(":{password}@")),
        None => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_a_served_data_dir_into_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sluice.db");
    let token = token(dir.path());
    let rx = receiver(true).await; // never answers: the delivery stays in flight
    let client = reqwest::Client::new();
    let node = Node::start(dir.path());

    let app: Value = post(
        &client,
        &node.base,
        &token,
        "/api/v1/app",
        json!({"name": "c"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let app_id = app["id"].as_str().unwrap().to_string();
    let ep = post(
        &client,
        &node.base,
        &token,
        &format!("/api/v1/app/{app_id}/endpoint"),
        json!({"url": rx.url, "secret": SECRET}),
    )
    .await
    .unwrap();
    assert_eq!(ep.status(), 201);
    let msg = post(
        &client,
        &node.base,
        &token,
        &format!("/api/v1/app/{app_id}/msg"),
        json!({"eventType": "user.signup", "payload": {"n": 1}}),
    )
    .await
    .unwrap();
    assert_eq!(msg.status(), 202);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while rx.seen.lock().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the delivery starts");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let schema = TestSchema::create()
        .await
        .expect("the PostgreSQL test database answers (run scripts/ensure-postgres)");
    // While the node runs, the file is refused and the target left alone.
    let (out, text) = copy_store(&db, schema.url(), &[]);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("in use"), "{text}");
    assert!(!shows_password(&text, schema.url()), "{text}");
    node.kill();

    let (out, text) = copy_store(&db, schema.url(), &[]);
    assert!(out.status.success(), "{text}");
    assert!(!shows_password(&text, schema.url()), "{text}");
    for table in ["application", "endpoint", "message", "delivery"] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{table} ")))
            .unwrap_or_else(|| panic!("a line for {table}: {text}"));
        assert!(line.contains("1 copied"), "{line}");
    }
    let tables = sluice_store::copy::TABLES.len();
    assert!(
        text.contains(&format!("copied 4 rows of {tables} tables")),
        "{text}"
    );

    // The rows, by SQL: the same app, the endpoint's secret sealed as SQLite had it, and the
    // delivery that was in flight back in the queue.
    let sqlite = rusqlite::Connection::open(&db).unwrap();
    let (ep_id, sealed): (String, Vec<u8>) = sqlite
        .query_row("SELECT id, secret FROM endpoint", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let (pg, conn) = tokio_postgres::connect(schema.url(), NoTls).await.unwrap();
    tokio::spawn(conn);
    let got: String = pg
        .query_one("SELECT id FROM application", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(got, app_id);
    let row = pg
        .query_one("SELECT id, secret FROM endpoint", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), ep_id);
    assert_eq!(
        row.get::<_, Vec<u8>>(1),
        sealed,
        "the secret stays sealed as it was"
    );
    assert!(!sealed.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
    let status: i32 = pg
        .query_one("SELECT status FROM delivery", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, 1, "the delivery in flight arrives pending");

    // A second copy is refused, with the way out named.
    let (out, text) = copy_store(&db, schema.url(), &[]);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("--into-non-empty"), "{text}");
    let (out, text) = copy_store(&db, schema.url(), &["--into-non-empty"]);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("copied 0 rows of {tables} tables")),
        "{text}"
    );
    assert!(text.contains("4 rows skipped"), "{text}");

    // Serve the copy: the same token and keys work, the sealed secret opens, and the delivery
    // that was in flight is sent (the receiver answers now).
    rx.hang.store(false, std::sync::atomic::Ordering::SeqCst);
    let seen_before = rx.seen.lock().unwrap().len();
    let node = Node::start_with(dir.path(), &[("SLUICE_DATABASE_URL", schema.url())]);
    let get = |path: String| {
        let (client, base, token) = (client.clone(), node.base.clone(), token.clone());
        async move {
            let r = client
                .get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.json::<Value>().await.unwrap()
        }
    };
    let served = get(format!("/api/v1/app/{app_id}")).await;
    assert_eq!(served["name"], "c");
    let secret = get(format!("/api/v1/app/{app_id}/endpoint/{ep_id}/secret")).await;
    assert_eq!(secret["key"], SECRET);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while rx.seen.lock().unwrap().len() == seen_before {
        assert!(
            std::time::Instant::now() < deadline,
            "the copied pending delivery is sent by the PostgreSQL node"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
