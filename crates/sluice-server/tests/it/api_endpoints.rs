//! Endpoints: CRUD, validation, the secret (never in EndpointOut; get and rotate), custom
//! headers, send-example, recover and stats.

use serde_json::{json, Value};
use sluice_store::{Order, Page};

use crate::helpers::{expect_json, spawn_app, TestApp};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// An app with two live event types and one archived one.
async fn setup(app: &TestApp) -> String {
    for name in ["a.one", "a.two", "a.old"] {
        app.post_ok(
            "/api/v1/event-type",
            &json!({"name": name, "description": name}),
            201,
        )
        .await;
    }
    assert_eq!(app.delete("/api/v1/event-type/a.old").await.status(), 204);
    id(&app
        .post_ok("/api/v1/app", &json!({"name": "A", "uid": "app-a"}), 201)
        .await)
}

async fn text_of(resp: reqwest::Response, status: u16) -> String {
    assert_eq!(resp.status().as_u16(), status);
    resp.text().await.unwrap()
}

#[tokio::test]
async fn endpoint_crud_never_shows_the_secret() {
    let app = spawn_app().await;
    let app_id = setup(&app).await;
    let base = format!("/api/v1/app/{app_id}/endpoint");
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let body = json!({
        "url": "https://example.com/hook", "uid": "ep-1", "description": "main",
        "eventTypes": ["a.one", "a.two"], "channels": ["eu", "us"], "metadata": {"k": "v"},
        "throttleRate": 10, "secret": secret,
    });
    let resp = app.post(&base, &body).await;
    let text = text_of(resp, 201).await;
    assert!(
        !text.contains("whsec_") && !text.contains("secret"),
        "EndpointOut leaks the secret: {text}"
    );
    let ep: Value = serde_json::from_str(&text).unwrap();
    let ep_id = id(&ep);
    assert!(ep_id.starts_with("ep_"));
    assert_eq!(ep["eventTypes"], json!(["a.one", "a.two"]));
    assert_eq!(ep["filterTypes"], json!(["a.one", "a.two"]));
    assert_eq!(
        (
            ep["channels"].clone(),
            ep["metadata"].clone(),
            ep["throttleRate"].clone()
        ),
        (json!(["eu", "us"]), json!({"k": "v"}), json!(10))
    );
    assert_eq!(
        (
            ep["disabled"].clone(),
            ep["version"].clone(),
            ep["description"].clone()
        ),
        (json!(false), json!(1), json!("main"))
    );

    // The secret is stored sealed, and only its own route shows it.
    let stored = app
        .state
        .store
        .get_endpoint(&app_id, &ep_id)
        .await
        .unwrap()
        .unwrap();
    assert!(!String::from_utf8_lossy(&stored.secret).contains("MfKQ9r8"));
    assert_eq!(app.endpoint_secret("app-a", "ep-1").await, secret);

    for path in [
        format!("{base}/{ep_id}"),
        format!("{base}/ep-1"),
        format!("/api/v1/app/app-a/endpoint/{ep_id}"),
    ] {
        let text = text_of(app.get(&path).await, 200).await;
        assert!(!text.contains("whsec_"), "{text}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap()["id"],
            ep["id"]
        );
    }
    let list = text_of(app.get(&base).await, 200).await;
    assert!(!list.contains("whsec_"));
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(
        (list["data"].as_array().unwrap().len(), list["done"].clone()),
        (1, json!(true))
    );

    // PUT replaces settings but keeps the secret.
    let put = app
        .put(
            &format!("{base}/ep-1"),
            &json!({"url": "https://example.com/put", "uid": "ep-1", "eventTypes": ["a.one"]}),
        )
        .await;
    let put: Value = serde_json::from_str(&text_of(put, 200).await).unwrap();
    assert_eq!(
        (
            put["url"].clone(),
            put["eventTypes"].clone(),
            put["channels"].clone(),
            put["description"].clone()
        ),
        (
            json!("https://example.com/put"),
            json!(["a.one"]),
            json!(null),
            json!("")
        )
    );
    assert_eq!(app.endpoint_secret(&app_id, &ep_id).await, secret);

    // PATCH changes only what it names; null clears filters.
    let patched = expect_json(
        app.patch(
            &format!("{base}/{ep_id}"),
            &json!({"disabled": true, "description": "p"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            patched["disabled"].clone(),
            patched["url"].clone(),
            patched["eventTypes"].clone()
        ),
        (
            json!(true),
            json!("https://example.com/put"),
            json!(["a.one"])
        )
    );
    let patched = expect_json(
        app.patch(
            &format!("{base}/{ep_id}"),
            &json!({"eventTypes": null, "filterTypes": null}),
        )
        .await,
        422,
    )
    .await;
    assert!(
        patched["detail"].is_array(),
        "duplicate alias fields are a 422"
    );
    let patched = expect_json(
        app.patch(&format!("{base}/{ep_id}"), &json!({"eventTypes": null}))
            .await,
        200,
    )
    .await;
    assert_eq!(patched["eventTypes"], json!(null));

    assert_eq!(app.delete(&format!("{base}/{ep_id}")).await.status(), 204);
    expect_json(app.get(&format!("{base}/{ep_id}")).await, 404).await;
    expect_json(app.get(&format!("{base}/{ep_id}/secret")).await, 404).await;
}

#[tokio::test]
async fn upsert_creates_then_replaces() {
    let app = spawn_app().await;
    let app_id = setup(&app).await;
    let path = format!("/api/v1/app/{app_id}/endpoint/by-uid");
    let created = expect_json(
        app.put(&path, &json!({"url": "https://example.com/a"}))
            .await,
        201,
    )
    .await;
    assert_eq!(created["uid"], "by-uid");
    let secret = app.endpoint_secret(&app_id, "by-uid").await;
    assert!(
        secret.starts_with("whsec_"),
        "a secret is generated when none is given"
    );
    let replaced = expect_json(
        app.put(
            &path,
            &json!({"url": "https://example.com/b", "uid": "by-uid"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (replaced["id"].clone(), replaced["url"].clone()),
        (created["id"].clone(), json!("https://example.com/b"))
    );
    assert_eq!(app.endpoint_secret(&app_id, "by-uid").await, secret);
}

#[tokio::test]
async fn endpoint_validation() {
    let app = spawn_app().await;
    let app_id = setup(&app).await;
    let base = format!("/api/v1/app/{app_id}/endpoint");
    let eleven: Vec<String> = (0..11).map(|i| format!("c{i}")).collect();
    for (body, field) in [
        (json!({"url": "not a url"}), "url"),
        (json!({"url": "ftp://example.com/x"}), "url"),
        (json!({"url": "/relative"}), "url"),
        (
            json!({"url": "https://x.test", "eventTypes": []}),
            "eventTypes",
        ),
        (
            json!({"url": "https://x.test", "eventTypes": ["never.registered"]}),
            "eventTypes",
        ),
        (
            json!({"url": "https://x.test", "filterTypes": ["a.old"]}),
            "eventTypes",
        ),
        (json!({"url": "https://x.test", "channels": []}), "channels"),
        (
            json!({"url": "https://x.test", "channels": eleven}),
            "channels",
        ),
        (
            json!({"url": "https://x.test", "channels": ["bad channel"]}),
            "channels",
        ),
        (json!({"url": "https://x.test", "uid": "ep_x"}), "uid"),
        (
            json!({"url": "https://x.test", "secret": "whsec_c2hvcnQ="}),
            "secret",
        ),
        (
            json!({"url": "https://x.test", "headers": {"Host": "evil"}}),
            "headers",
        ),
    ] {
        let err = app.post_ok(&base, &body, 422).await;
        let locs: Vec<Value> = err["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["loc"].clone())
            .collect();
        assert!(locs.contains(&json!(["body", field])), "{body}: {locs:?}");
    }
    // Endpoints of an unknown app are 404; a taken uid is 409.
    expect_json(
        app.post(
            "/api/v1/app/nope/endpoint",
            &json!({"url": "https://x.test"}),
        )
        .await,
        404,
    )
    .await;
    app.post_ok(
        &base,
        &json!({"url": "https://x.test", "uid": "taken"}),
        201,
    )
    .await;
    app.post_ok(
        &base,
        &json!({"url": "https://x.test", "uid": "taken"}),
        409,
    )
    .await;
}

#[tokio::test]
async fn secret_rotation_retires_the_old_key_and_is_bounded() {
    let app = spawn_app().await;
    let app_id = setup(&app).await;
    let ep = app.create_endpoint(&app_id, "https://example.com/r").await;
    let ep_id = id(&ep);
    let first = app.endpoint_secret(&app_id, &ep_id).await;
    let rotate = format!("/api/v1/app/{app_id}/endpoint/{ep_id}/secret/rotate");

    let out = app.post_ok(&rotate, &json!({}), 200).await;
    let second = out["key"].as_str().unwrap().to_string();
    assert!(second.starts_with("whsec_") && second != first);
    assert_eq!(app.endpoint_secret(&app_id, &ep_id).await, second);

    let stored = app
        .state
        .store
        .get_endpoint(&app_id, &ep_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.retired_secrets.len(), 1);
    assert_eq!(
        app.state
            .secrets
            .open(&stored.retired_secrets[0].sealed)
            .unwrap(),
        first
    );
    let grace = stored.retired_secrets[0].expires_at - sluice_core::now_millis();
    assert!(
        (23 * 3_600_000..=24 * 3_600_000).contains(&grace),
        "grace {grace} ms should be ~24 h"
    );

    let chosen = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    let out = app.post_ok(&rotate, &json!({"key": chosen}), 200).await;
    assert_eq!(out["key"], chosen);
    app.post_ok(&rotate, &json!({"key": "nope"}), 422).await;

    // Ten retired keys may be valid at once; the eleventh rotation is refused.
    for _ in 0..8 {
        app.post_ok(&rotate, &json!({}), 200).await;
    }
    let stored = app
        .state
        .store
        .get_endpoint(&app_id, &ep_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.retired_secrets.len(), 10);
    let err = app.post_ok(&rotate, &json!({}), 400).await;
    assert_eq!(err["code"], "limit_reached");
    // A rotation with no grace period retires nothing, so it is always possible.
    app.post_ok(&rotate, &json!({"gracePeriodSeconds": 0}), 200)
        .await;
}

#[tokio::test]
async fn custom_headers() {
    let app = spawn_app().await;
    let app_id = setup(&app).await;
    let ep = app.create_endpoint(&app_id, "https://example.com/h").await;
    let path = format!("/api/v1/app/{app_id}/endpoint/{}/headers", id(&ep));
    assert_eq!(
        app.get_ok(&path).await,
        json!({"headers": {}, "sensitive": []})
    );

    let resp = app
        .put(
            &path,
            &json!({"headers": {"X-Foo": "1", "X-Bar": "2", "Authorization": "Bearer s3cret"}}),
        )
        .await;
    assert_eq!(resp.status(), 204);
    let got = app.get_ok(&path).await;
    assert_eq!(
        got,
        json!({"headers": {"X-Bar": "2", "X-Foo": "1"}, "sensitive": ["Authorization"]})
    );

    let resp = app
        .patch(
            &path,
            &json!({"headers": {"x-foo": null, "X-New": "3"}, "deleteHeaders": ["X-Bar"]}),
        )
        .await;
    assert_eq!(resp.status(), 204);
    assert_eq!(app.get_ok(&path).await["headers"], json!({"X-New": "3"}));
    let stored = app
        .state
        .store
        .get_endpoint(&app_id, &id(&ep))
        .await
        .unwrap()
        .unwrap();
    // Stored sealed (they often carry credentials); the key opens them.
    assert!(!String::from_utf8_lossy(&stored.headers).contains("s3cret"));
    let opened = app.state.secrets.open_headers(&stored.headers).unwrap();
    assert_eq!(
        opened.get("Authorization").map(String::as_str),
        Some("Bearer s3cret")
    );

    for bad in [
        "Host",
        "Content-Length",
        "Transfer-Encoding",
        "Connection",
        "webhook-signature",
        "svix-id",
    ] {
        let err = expect_json(app.put(&path, &json!({"headers": {bad: "x"}})).await, 422).await;
        assert_eq!(err["detail"][0]["loc"], json!(["body", "headers"]), "{bad}");
        expect_json(app.patch(&path, &json!({"headers": {bad: "x"}})).await, 422).await;
    }
}

#[tokio::test]
async fn send_example_targets_only_this_endpoint() {
    let app = spawn_app().await;
    let app_id = setup(&app).await;
    app.post_ok(
        "/api/v1/event-type",
        &json!({"name": "with.example", "description": "d", "schemas": {"1": {"examples": [{"id": "obj_1"}]}}}),
        201,
    )
    .await;
    // An endpoint that filters the types out still gets the example; its sibling does not.
    let ep = app
        .post_ok(
            &format!("/api/v1/app/{app_id}/endpoint"),
            &json!({"url": "https://example.com/x", "eventTypes": ["a.one"]}),
            201,
        )
        .await;
    app.create_endpoint(&app_id, "https://example.com/sibling")
        .await;
    let path = format!("/api/v1/app/{app_id}/endpoint/{}/send-example", id(&ep));

    let ping = app
        .post_ok(&path, &json!({"eventType": "svix.ping"}), 202)
        .await;
    assert_eq!(
        (ping["eventType"].clone(), ping["payload"].clone()),
        (json!("svix.ping"), json!({"success": true}))
    );
    let example = app
        .post_ok(&path, &json!({"eventType": "with.example"}), 202)
        .await;
    assert_eq!(example["payload"], json!({"id": "obj_1"}));
    for msg in [&ping, &example] {
        let page = Page {
            limit: 10,
            order: Order::Ascending,
            ..Page::default()
        };
        let dests = app
            .state
            .store
            .list_message_deliveries(&id(msg), page)
            .await
            .unwrap();
        let eps: Vec<String> = dests.items.iter().map(|(e, _)| e.id.clone()).collect();
        assert_eq!(eps, vec![id(&ep)]);
    }

    expect_json(
        app.post(&path, &json!({"eventType": "never.registered"}))
            .await,
        404,
    )
    .await;
    expect_json(app.post(&path, &json!({"eventType": "a.one"})).await, 422).await;
    // no example
}

#[tokio::test]
async fn recover_and_stats_shapes() {
    let app = spawn_app().await;
    let app_id = setup(&app).await;
    let ep = app.create_endpoint(&app_id, "https://example.com/rs").await;
    let base = format!("/api/v1/app/{app_id}/endpoint/{}", id(&ep));

    let since = sluice_core::millis_to_rfc3339(sluice_core::now_millis() - 3_600_000);
    let task = app
        .post_ok(&format!("{base}/recover"), &json!({"since": since}), 202)
        .await;
    assert!(task["id"].as_str().unwrap().starts_with("qtask_"));
    assert_eq!(
        (task["status"].clone(), task["task"].clone()),
        (json!("running"), json!("endpoint.recover"))
    );
    assert!(task["updatedAt"].is_string());
    // The task is the org's to follow; with nothing to re-send it finishes at once.
    let path = format!("/api/v1/background-task/{}", task["id"].as_str().unwrap());
    let done = crate::helpers::eventually(
        std::time::Duration::from_secs(10),
        "the recover task to finish",
        || async {
            let t = app.get_ok(&path).await;
            (t["status"] == "finished").then_some(t)
        },
    )
    .await;
    assert_eq!(done["data"]["messagesSent"], json!(0));
    assert_eq!(done["data"]["total"], json!(0));
    app.post_ok(
        &format!("{base}/recover"),
        &json!({"since": "yesterday"}),
        422,
    )
    .await;
    // At most 14 days back, as Svix.
    let err = app
        .post_ok(
            &format!("{base}/recover"),
            &json!({"since": "2020-01-01T00:00:00Z"}),
            422,
        )
        .await;
    assert_eq!(err["detail"][0]["loc"], json!(["body", "since"]));
    app.post_ok(
        &format!("{base}/recover"),
        &json!({"since": "2030-01-01T00:00:00Z", "until": "2020-01-01T00:00:00Z"}),
        422,
    )
    .await;
    app.post_ok(&format!("{base}/recover"), &json!({}), 422)
        .await;

    let stats = app.get_ok(&format!("{base}/stats")).await;
    assert_eq!(
        stats,
        json!({"success": 0, "pending": 0, "sending": 0, "fail": 0, "canceled": 0})
    );
    app.post_ok(
        &format!("{base}/send-example"),
        &json!({"eventType": "svix.ping"}),
        202,
    )
    .await;
    let stats = app.get_ok(&format!("{base}/stats")).await;
    let total: u64 = ["success", "pending", "sending", "fail"]
        .iter()
        .map(|k| stats[k].as_u64().unwrap())
        .sum();
    assert_eq!(total, 1, "{stats}");
    let old = app
        .get_ok(&format!(
            "{base}/stats?since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z"
        ))
        .await;
    assert_eq!(
        old["success"].as_u64().unwrap() + old["pending"].as_u64().unwrap(),
        0
    );
    expect_json(app.get(&format!("{base}/stats?since=bad")).await, 422).await;
}
