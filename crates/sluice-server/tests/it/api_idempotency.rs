//! Responses kept for `idempotency-key`s are sealed at rest: after calling, with a key,
//! every route whose response is a secret (secret rotation, app-portal access, source
//! create, ingest-token rotation), no file of the data directory holds any of those
//! secrets, while a replay still returns the very same response. And a replay is
//! authorised like the request: a logged-out token gets a 401, not the cached secret.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_sqlite_app, TestApp};

/// POSTs `body` with `key` as idempotency key and `token`; returns status and body text.
async fn post_keyed(
    app: &TestApp,
    path: &str,
    body: &Value,
    key: &str,
    token: &str,
) -> (u16, String) {
    let resp = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Calls twice with the same key: the replay must be byte-identical. Returns the JSON.
async fn once_and_replay(app: &TestApp, path: &str, body: Value, key: &str) -> Value {
    let (status, first) = post_keyed(app, path, &body, key, &app.token).await;
    assert!((200..300).contains(&status), "{path}: {status} {first}");
    let (again_status, again) = post_keyed(app, path, &body, key, &app.token).await;
    assert_eq!(
        (again_status, &again),
        (status, &first),
        "{path}: replay differs"
    );
    serde_json::from_str(&first).unwrap()
}

/// Every spelling of a secret that must not be found at rest: the string, and the bytes
/// of its base64 parts decoded.
fn spellings(secret: &str) -> Vec<Vec<u8>> {
    let mut out = vec![secret.as_bytes().to_vec()];
    let body = secret.strip_prefix("whsec_").unwrap_or(secret);
    for part in body.split('.') {
        if part.len() < 16 || part.starts_with("eyJhbGci") {
            continue; // the constant JWT header is public
        }
        out.push(part.as_bytes().to_vec());
        out.extend(STANDARD.decode(part).ok());
        out.extend(URL_SAFE_NO_PAD.decode(part).ok());
    }
    out
}

fn assert_not_at_rest(dir: &std::path::Path, secrets: &[(&str, String)]) {
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(&path).unwrap();
        for (what, secret) in secrets {
            for needle in spellings(secret) {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                    "{} holds the {what} ({}) in clear",
                    path.display(),
                    String::from_utf8_lossy(&needle)
                );
            }
        }
    }
    assert!(
        files >= 2,
        "expected the database and its WAL in {}",
        dir.display()
    );
}

#[tokio::test]
async fn cached_responses_hold_no_secret_in_clear_and_still_replay() {
    // The check greps the database files, so it runs on SQLite; the sealing it checks
    // happens above the store, the same for every backend.
    let app = spawn_sqlite_app().await;
    let app_id = app.create_app_id("A").await;
    let ep = app.create_endpoint(&app_id, "https://example.com/a").await;
    let ep_path = format!(
        "/api/v1/app/{app_id}/endpoint/{}",
        ep["id"].as_str().unwrap()
    );

    let rotated = once_and_replay(&app, &format!("{ep_path}/secret/rotate"), json!({}), "k1").await;
    let whsec = rotated["key"].as_str().unwrap().to_string();
    let access = once_and_replay(
        &app,
        &format!("/api/v1/auth/app-portal-access/{app_id}"),
        json!({}),
        "k2",
    )
    .await;
    let portal = access["token"].as_str().unwrap().to_string();
    let src = once_and_replay(
        &app,
        "/ingest/api/v1/source",
        json!({"name": "s", "type": "generic-webhook", "config": {}}),
        "k3",
    )
    .await;
    let token_of = |url: &Value| {
        url.as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string()
    };
    let ingest = token_of(&src["ingestUrl"]);
    let src_id = src["id"].as_str().unwrap();
    let rotated_src = once_and_replay(
        &app,
        &format!("/ingest/api/v1/source/{src_id}/token/rotate"),
        json!({}),
        "k4",
    )
    .await;
    let ingest2 = token_of(&rotated_src["ingestUrl"]);
    // The replayed portal token is a working one.
    let got = app
        .request_as(
            Method::GET,
            &format!("/api/v1/app/{app_id}"),
            Some(&portal),
            None,
        )
        .await;
    assert_eq!(got.status(), 200);

    let secrets = [
        ("rotated endpoint secret", whsec),
        ("app-portal token", portal),
        ("ingest token", ingest),
        ("rotated ingest token", ingest2),
    ];
    // While the server runs (recent pages are in the WAL) and after it stopped.
    let dir = app.data_dir.clone();
    assert_not_at_rest(dir.path(), &secrets);
    app.stop().await;
    assert_not_at_rest(dir.path(), &secrets);
}

#[tokio::test]
async fn a_logged_out_token_cannot_replay_a_cached_secret() {
    let app = spawn_app().await;
    let app_id = app.create_app_id("A").await;
    let ep = app.create_endpoint(&app_id, "https://example.com/a").await;
    let rotate = format!(
        "/api/v1/app/{app_id}/endpoint/{}/secret/rotate",
        ep["id"].as_str().unwrap()
    );
    let access = app
        .post_ok(
            &format!("/api/v1/auth/app-portal-access/{app_id}"),
            &json!({}),
            200,
        )
        .await;
    let token = access["token"].as_str().unwrap();
    let (status, first) = post_keyed(&app, &rotate, &json!({}), "k", token).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = post_keyed(&app, &rotate, &json!({}), "k", token).await;
    assert_eq!((status, &again), (200, &first));

    let out = app
        .request_as(Method::POST, "/api/v1/auth/logout", Some(token), None)
        .await;
    assert_eq!(out.status(), 204);
    let (status, body) = post_keyed(&app, &rotate, &json!({}), "k", token).await;
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains("whsec_"), "{body}");
}
