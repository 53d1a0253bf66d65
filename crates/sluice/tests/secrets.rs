//! Invariant 6 on the real binary: a secret is encrypted at rest and never logged. The
//! server runs at the most verbose log level while an endpoint with a known secret is
//! created, read, rotated and delivered to; then neither the captured log nor the database
//! files contain the secret, its key bytes, or any signature that was sent.

mod common;

use std::time::Duration;

use common::{post, receiver, token, Node};
use serde_json::{json, Value};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_not_logged_and_are_sealed_at_rest() {
    let dir = tempfile::tempdir().unwrap();
    let token = token(dir.path());
    let rx = receiver(false).await;
    let client = reqwest::Client::new();
    let node = Node::start_with(dir.path(), &[("SLUICE_LOG", "trace")]);

    let app: Value = post(
        &client,
        &node.base,
        &token,
        "/api/v1/app",
        json!({"name": "s"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let app_id = app["id"].as_str().unwrap();
    let ep_body = json!({"url": rx.url, "secret": SECRET, "headers": {"Authorization": "Bearer hunter2-endpoint-credential"}});
    let ep: Value = post(
        &client,
        &node.base,
        &token,
        &format!("/api/v1/app/{app_id}/endpoint"),
        ep_body,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let ep_id = ep["id"].as_str().expect("endpoint created");
    // The secret's own route shows it (and the request/response pass through the logs' reach).
    let shown: Value = client
        .get(format!(
            "{}/api/v1/app/{app_id}/endpoint/{ep_id}/secret",
            node.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["key"], SECRET);
    // Rotate, so a second secret exists and deliveries carry two signatures.
    let rotated: Value = post(
        &client,
        &node.base,
        &token,
        &format!("/api/v1/app/{app_id}/endpoint/{ep_id}/secret/rotate"),
        json!({}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let new_secret = rotated["key"]
        .as_str()
        .expect("rotate returns the new key")
        .to_string();
    for i in 0..3 {
        let r = post(
            &client,
            &node.base,
            &token,
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "s.test", "payload": {"i": i}}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 202);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while rx.bodies.lock().unwrap().len() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "deliveries did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let signatures: Vec<String> = rx
        .bodies
        .lock()
        .unwrap()
        .iter()
        .flat_map(|(h, _)| {
            let v = h
                .get("webhook-signature")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            v.split(' ')
                .map(|t| t.split_once(',').unwrap().1.to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        signatures.len(),
        6,
        "two signatures per delivery during the grace period"
    );
    let log = node.log.clone();
    drop(node); // kills the process; the reader threads have its output up to then

    let mut forbidden = vec![
        SECRET.to_string(),
        SECRET.trim_start_matches("whsec_").to_string(),
        new_secret.clone(),
        new_secret.trim_start_matches("whsec_").to_string(),
        "hunter2-endpoint-credential".to_string(),
    ];
    forbidden.extend(signatures);

    let lines = log.lock().unwrap().clone();
    assert!(
        lines.len() > 20,
        "trace logging produced too little output to be a real check"
    );
    for needle in &forbidden {
        if let Some(line) = lines.iter().find(|l| l.contains(needle.as_str())) {
            panic!("a secret or signature appears in the log: {line}");
        }
    }
    // At rest: no file of the data dir (database, WAL, keys) holds a secret in clear.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for needle in &forbidden[..5] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{} holds {needle:?} in clear",
                path.display()
            );
        }
    }
}

/// The same for inbound sources: provider secrets, generic credentials and the ingest-URL
/// token are neither logged nor stored in clear, though events arrive, are verified (and
/// some rejected) and forwarded while the server logs at trace level.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_secrets_and_tokens_are_not_logged_and_are_sealed_at_rest() {
    const STRIPE_SECRET: &str = "whsec_source_secret_hunter3";
    const BEARER: &str = "hunter4-generic-bearer";
    let dir = tempfile::tempdir().unwrap();
    let token = token(dir.path());
    let rx = receiver(false).await;
    let client = reqwest::Client::new();
    let node = Node::start_with(dir.path(), &[("SLUICE_LOG", "trace")]);
    let create = |body: Value| {
        let (client, base, token, url) = (&client, &node.base, &token, &rx.url);
        async move {
            let src: Value = post(client, base, token, "/ingest/api/v1/source", body)
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let id = src["id"].as_str().expect("source created").to_string();
            let path = format!("/ingest/api/v1/source/{id}/endpoint");
            let r = post(client, base, token, &path, json!({ "url": url }))
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            src["ingestUrl"].as_str().unwrap().to_string()
        }
    };
    let stripe_url = create(json!({"name": "s", "type": "stripe",
                                   "config": {"secret": STRIPE_SECRET}}))
    .await;
    let generic_url = create(json!({"name": "g", "type": "generic-webhook",
                                    "config": {"auth": [{"type": "bearer", "token": BEARER}]}}))
    .await;

    let body = br#"{"id":"evt_secret_test","object":"event","type":"a.b"}"#;
    let ts = sluice_core::now_millis() / 1000;
    let mut signed = format!("{ts}.").into_bytes();
    signed.extend_from_slice(body);
    let sig = sluice_core::inbound::common::hmac_sha256_hex(STRIPE_SECRET.as_bytes(), &signed);
    let forged_sig = sluice_core::inbound::common::hmac_sha256_hex(b"wrong", &signed);
    let send = |url: &str, header: (&'static str, String)| {
        client
            .post(url)
            .header(header.0, header.1)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
    };
    let r = send(
        &stripe_url,
        ("stripe-signature", format!("t={ts},v1={forged_sig}")),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
    let r = send(
        &stripe_url,
        ("stripe-signature", format!("t={ts},v1={sig}")),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let r = send(&generic_url, ("authorization", format!("Bearer {BEARER}x")))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = send(&generic_url, ("authorization", format!("Bearer {BEARER}")))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while rx.bodies.lock().unwrap().len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "forwards did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for (headers, _) in rx.bodies.lock().unwrap().iter() {
        assert!(
            headers.get("authorization").is_none(),
            "source credentials are not forwarded"
        );
    }
    let log = node.log.clone();
    drop(node);

    let ingest_token = |url: &str| url.rsplit('/').next().unwrap().to_string();
    let at_rest = [
        STRIPE_SECRET.to_string(),
        BEARER.to_string(),
        ingest_token(&stripe_url),
        ingest_token(&generic_url),
    ];
    let lines = log.lock().unwrap().clone();
    assert!(lines.len() > 20, "trace logging produced too little output");
    for needle in at_rest.iter().chain([&sig, &forged_sig]) {
        if let Some(line) = lines.iter().find(|l| l.contains(needle.as_str())) {
            panic!("a secret, token or signature appears in the log: {line}");
        }
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for needle in &at_rest {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{} holds {needle:?} in clear",
                path.display()
            );
        }
    }
}
