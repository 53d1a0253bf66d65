//! A store that cannot write right now answers 503 with `Retry-After`, on the management
//! API and on the ingest route, and serves again as soon as it can, without a restart.
//!
//! The failure is real: a second connection to the SQLite file holds its write lock, so
//! the writer's lock wait runs out (`SQLITE_BUSY`), as behind a stuck second writer.

use reqwest::header::RETRY_AFTER;
use serde_json::json;

use crate::helpers::{expect_json, spawn_sqlite_app, Receiver};
use crate::inbound_common::{post_to, setup_on};

#[tokio::test]
async fn a_locked_database_answers_503_with_retry_after_then_recovers() {
    // SQLite's own lock; the PostgreSQL outage (a restarted server) is tested in the binary's
    // cluster tests.
    let inbound = setup_on(
        spawn_sqlite_app().await,
        "generic-webhook",
        json!({}),
        Receiver::ok().await,
    )
    .await;
    let app = &inbound.app;
    let holder = rusqlite::Connection::open(app.data_dir.path().join("sluice.db")).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();

    let new_app = json!({"name": "while locked"});
    let (api, ingest) = tokio::join!(
        app.post("/api/v1/app", &new_app),
        post_to(app, &inbound.url, &[], br#"{"n":1}"#),
    );
    let retry_after = api.headers().get(RETRY_AFTER).cloned();
    let body = expect_json(api, 503).await;
    assert_eq!(body["code"], "service_unavailable", "{body}");
    let secs: u32 = retry_after
        .expect("a 503 says when to retry")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(secs >= 1);
    assert_eq!(ingest.0, 503, "{}", ingest.1);
    assert!(ingest.1.contains("service_unavailable"), "{}", ingest.1);
    // Reads do not need the write lock (WAL): they are still served.
    let listed = app.get("/api/v1/app").await;
    assert_eq!(listed.status(), 200);

    holder.execute_batch("ROLLBACK").unwrap();
    app.post_ok("/api/v1/app", &json!({"name": "after"}), 201)
        .await;
    let (status, text) = post_to(app, &inbound.url, &[], br#"{"n":2}"#).await;
    assert_eq!(status, 200, "{text}");
}
