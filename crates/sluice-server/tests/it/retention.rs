//! Retention through the API: `payloadRetentionPeriod`/`payloadRetentionHours` are checked
//! and set each message's payload expiry; an expired payload reads `{"expired": true}` as
//! an expunged one does; and expiry and pruning run while an ingest load goes on, every
//! publish acknowledged and stored, only the old rows touched.

use futures::future::join_all;
use serde_json::{json, Value};
use sluice_core::ids;
use sluice_core::model::Message;
use sluice_server::config::DAY_MS;
use sluice_server::retention;

use crate::helpers::{expect_json, spawn_app, TestApp};

async fn publish(app: &TestApp, app_id: &str, extra: Value) -> reqwest::Response {
    let mut body = json!({"eventType": "invoice.paid", "payload": {"n": 1}});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.post(&format!("/api/v1/app/{app_id}/msg"), &body).await
}

#[tokio::test]
async fn retention_is_checked_and_expired_payloads_read_expired() {
    let app = spawn_app().await;
    let app_id = app.create_app_id("A").await;
    for (bad, field) in [
        (
            json!({"payloadRetentionPeriod": 4}),
            "payloadRetentionPeriod",
        ),
        (
            json!({"payloadRetentionPeriod": 91}),
            "payloadRetentionPeriod",
        ),
        (json!({"payloadRetentionHours": 0}), "payloadRetentionHours"),
        (
            json!({"payloadRetentionHours": 2161}),
            "payloadRetentionHours",
        ),
        (
            json!({"payloadRetentionPeriod": 5, "payloadRetentionHours": 5}),
            "payloadRetentionHours",
        ),
    ] {
        let err = expect_json(publish(&app, &app_id, bad.clone()).await, 422).await;
        assert_eq!(
            err["detail"][0]["loc"],
            json!(["body", field]),
            "{bad}: {err}"
        );
    }
    let days = expect_json(
        publish(&app, &app_id, json!({"payloadRetentionPeriod": 5})).await,
        202,
    )
    .await;
    let hours = expect_json(
        publish(&app, &app_id, json!({"payloadRetentionHours": 1})).await,
        202,
    )
    .await;
    let default = expect_json(publish(&app, &app_id, json!({})).await, 202).await;
    let stored = |v: &Value| {
        let id = v["id"].as_str().unwrap().to_string();
        let store = app.state.store.clone();
        let app_id = app_id.clone();
        async move { store.get_message(&app_id, &id).await.unwrap().unwrap() }
    };
    let (d, h, f) = (
        stored(&days).await,
        stored(&hours).await,
        stored(&default).await,
    );
    assert_eq!(d.payload_expires_at, Some(d.created_at + 5 * DAY_MS));
    assert_eq!(h.payload_expires_at, Some(h.created_at + 3_600_000));
    assert_eq!(
        f.payload_expires_at,
        Some(f.created_at + 90 * DAY_MS),
        "server default"
    );

    // An hour on, the one-hour payload is gone, the others are not.
    let now = h.created_at + 3_600_000;
    let n = retention::expire_payloads(&*app.state.store, now, 500)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let path = |m: &Message| format!("/api/v1/app/{app_id}/msg/{}", m.id);
    let got = expect_json(app.get(&path(&h)).await, 200).await;
    assert_eq!(got["payload"], json!({"expired": true}));
    assert_eq!(got["eventType"], "invoice.paid", "the metadata stays");
    for m in [&d, &f] {
        let got = expect_json(app.get(&path(m)).await, 200).await;
        assert_eq!(got["payload"], json!({"n": 1}));
    }
    // The same reading as a payload expunged by hand.
    assert_eq!(
        app.delete(&format!("{}/content", path(&d))).await.status(),
        204
    );
    let got = expect_json(app.get(&path(&d)).await, 200).await;
    assert_eq!(got["payload"], json!({"expired": true}));
}

#[tokio::test]
async fn longer_server_default_widens_the_bound() {
    let app = crate::helpers::spawn_app_with(|c| c.payload_retention_days = 365).await;
    let app_id = app.create_app_id("A").await;
    expect_json(
        publish(&app, &app_id, json!({"payloadRetentionPeriod": 365})).await,
        202,
    )
    .await;
    expect_json(
        publish(&app, &app_id, json!({"payloadRetentionPeriod": 366})).await,
        422,
    )
    .await;
}

/// A message stored directly, created at `created` with its payload expiring at `expires`.
fn old_message(app_id: &str, created: i64, expires: i64, i: usize) -> Message {
    Message {
        id: ids::new_id(ids::MESSAGE, created),
        app_id: app_id.into(),
        event_type: "old".into(),
        payload: format!(r#"{{"old":{i}}}"#),
        payload_expires_at: Some(expires),
        created_at: created,
        ..Message::default()
    }
}

#[tokio::test]
async fn retention_runs_beside_an_ingest_load() {
    let app = spawn_app().await;
    let app_id = app.create_app_id("A").await;
    let store = app.state.store.clone();
    let now = sluice_core::now_millis();
    // 600 messages from ten days ago whose payload expired yesterday (they stay, emptied),
    // and 600 from a hundred days ago (they are pruned by a 30-day cut).
    const EACH: usize = 600;
    let mut expired = Vec::new();
    let mut ancient = Vec::new();
    for i in 0..EACH {
        expired.push(old_message(&app_id, now - 10 * DAY_MS, now - DAY_MS, i));
        ancient.push(old_message(
            &app_id,
            now - 100 * DAY_MS,
            now - 90 * DAY_MS,
            i,
        ));
    }
    for chunk in expired.chunks(100).chain(ancient.chunks(100)) {
        join_all(
            chunk
                .iter()
                .map(|m| store.create_message(m.clone(), None, m.created_at)),
        )
        .await
        .into_iter()
        .for_each(|r| {
            r.unwrap();
        });
    }

    // Retention in small batches, while eight clients publish fifty messages each.
    let cleaner = {
        let store = store.clone();
        tokio::spawn(async move {
            let expunged = retention::expire_payloads(&*store, now, 50).await.unwrap();
            let pruned = retention::prune(&*store, now - 30 * DAY_MS, 50, |_| {})
                .await
                .unwrap();
            (expunged, pruned)
        })
    };
    let publishers = (0..8).map(|p| {
        let app = &app;
        let app_id = &app_id;
        async move {
            let mut out = Vec::new();
            for i in 0..50 {
                let payload = json!({"publisher": p, "i": i});
                let resp = app
                    .post(
                        &format!("/api/v1/app/{app_id}/msg"),
                        &json!({"eventType": "new", "payload": payload}),
                    )
                    .await;
                let v = expect_json(resp, 202).await;
                out.push((v["id"].as_str().unwrap().to_string(), payload));
            }
            out
        }
    });
    let published: Vec<(String, Value)> =
        join_all(publishers).await.into_iter().flatten().collect();
    let (expunged, pruned) = cleaner.await.unwrap();

    assert_eq!(published.len(), 400, "every publish acknowledged");
    for (id, payload) in &published {
        let m = store
            .get_message(&app_id, id)
            .await
            .unwrap()
            .expect("stored");
        assert_eq!(m.expunged_at, None);
        assert_eq!(serde_json::from_str::<Value>(&m.payload).unwrap(), *payload);
    }
    // The server's own maintenance pass (it runs once at start) may have taken some.
    assert!(expunged > 0 && expunged <= 2 * EACH as u64, "{expunged}");
    assert_eq!(
        pruned.messages, EACH as u64,
        "only the hundred-day-old messages"
    );
    for m in &expired {
        let got = store
            .get_message(&app_id, &m.id)
            .await
            .unwrap()
            .expect("kept");
        assert_eq!(got.payload, "");
        assert!(
            got.expunged_at.is_some_and(|t| t <= now),
            "expunged by retention"
        );
    }
    for m in &ancient {
        assert!(store.get_message(&app_id, &m.id).await.unwrap().is_none());
    }
}

/// The maintenance loop's first pass (it runs when the server starts) expunges expired
/// payloads and, with `prune_after_days`, prunes what is older; the rest is untouched.
#[tokio::test]
async fn the_maintenance_pass_expires_and_prunes() {
    let data = crate::helpers::TestData::create().await;
    let now = sluice_core::now_millis();
    let app_id = ids::new_id(ids::APP, now);
    let (expired, ancient, fresh) = (
        old_message(&app_id, now - 10 * DAY_MS, now - DAY_MS, 0),
        old_message(&app_id, now - 100 * DAY_MS, now - 90 * DAY_MS, 1),
        old_message(&app_id, now, now + DAY_MS, 2),
    );
    {
        // Seeded before the server starts (SQLite's file has one owner at a time).
        let store = sluice_server::startup::open_store(&crate::helpers::test_config(&data))
            .await
            .unwrap();
        store
            .create_app(sluice_core::model::Application {
                id: app_id.clone(),
                org_id: sluice_server::auth::DEFAULT_ORG.into(),
                uid: None,
                name: "A".into(),
                throttle_rate: None,
                metadata: Default::default(),
                created_at: now,
                updated_at: now,
            })
            .await
            .unwrap();
        for m in [&expired, &ancient, &fresh] {
            store.create_message(m.clone(), None, now).await.unwrap();
        }
    }
    let app = crate::helpers::spawn_app_in(data, |c| c.prune_after_days = Some(30)).await;
    let store = app.state.store.clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let e = store.get_message(&app_id, &expired.id).await.unwrap();
        let a = store.get_message(&app_id, &ancient.id).await.unwrap();
        if e.as_ref().is_some_and(|m| m.expunged_at.is_some()) && a.is_none() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the maintenance pass ran"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let f = store
        .get_message(&app_id, &fresh.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (f.payload.as_str(), f.expunged_at),
        (fresh.payload.as_str(), None)
    );
}
