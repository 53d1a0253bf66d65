//! Messages: publish (exact payload bytes, with_content, eventId conflicts, validation,
//! oversize and malformed bodies, inline application), get, list with filters and paging,
//! and the idempotency-key contract.

use std::collections::HashSet;

use serde_json::{json, Value};
use sluice_store::{MessageFilter, Order, Page};

use crate::helpers::{expect_json, spawn_app, spawn_app_with, TestApp};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

async fn post_raw(
    app: &TestApp,
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .bearer_auth(&app.token)
        .header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(body.to_string()).send().await.unwrap()
}

async fn message_count(app: &TestApp, app_id: &str) -> usize {
    let page = Page {
        limit: 250,
        order: Order::Descending,
        ..Page::default()
    };
    app.state
        .store
        .list_messages(app_id, MessageFilter::default(), page)
        .await
        .unwrap()
        .items
        .len()
}

#[tokio::test]
async fn publish_keeps_the_exact_payload_bytes() {
    let app = spawn_app().await;
    let app_id = id(&app.create_app("A").await);
    let payload = r#"{ "b":1,  "a":[1.50, 2e3, "é\u00e9"], "z":{} }"#;
    let body = format!(
        r#"{{"eventType":"invoice.paid","eventId":"evt-1","channels":["eu"],"payload":{payload}}}"#
    );
    let msg = expect_json(
        post_raw(&app, &format!("/api/v1/app/{app_id}/msg"), &body, &[]).await,
        202,
    )
    .await;
    assert!(id(&msg).starts_with("msg_"));
    assert_eq!(
        (
            msg["eventType"].clone(),
            msg["eventId"].clone(),
            msg["channels"].clone()
        ),
        (json!("invoice.paid"), json!("evt-1"), json!(["eu"]))
    );
    assert!(msg["timestamp"].as_str().unwrap().ends_with('Z'));

    let stored = app
        .state
        .store
        .get_message(&app_id, &id(&msg))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.payload, payload,
        "the payload must be stored byte for byte"
    );
    // And served back verbatim.
    let resp = app.get(&format!("/api/v1/app/{app_id}/msg/evt-1")).await;
    let text = resp.text().await.unwrap();
    assert!(text.contains(payload), "{text}");

    // with_content=false (what the SDK sends) answers an empty payload.
    let body = json!({"eventType": "invoice.paid", "payload": {"big": "x"}});
    let lean = app
        .post_ok(
            &format!("/api/v1/app/{app_id}/msg?with_content=false"),
            &body,
            202,
        )
        .await;
    assert_eq!(lean["payload"], json!({}));
    let got = app
        .get_ok(&format!(
            "/api/v1/app/{app_id}/msg/{}?with_content=false",
            id(&lean)
        ))
        .await;
    assert_eq!(got["payload"], json!({}));
    assert_eq!(
        app.get_ok(&format!("/api/v1/app/{app_id}/msg/{}", id(&lean)))
            .await["payload"],
        json!({"big": "x"})
    );
    // The `data` alias.
    let aliased = app
        .post_ok(
            &format!("/api/v1/app/{app_id}/msg"),
            &json!({"eventType": "a", "data": {"k": 1}}),
            202,
        )
        .await;
    assert_eq!(aliased["payload"], json!({"k": 1}));
}

#[tokio::test]
async fn duplicate_event_id_is_a_conflict() {
    let app = spawn_app().await;
    let app_id = id(&app.create_app("A").await);
    let path = format!("/api/v1/app/{app_id}/msg");
    app.post_ok(
        &path,
        &json!({"eventType": "a.b", "eventId": "once", "payload": {}}),
        202,
    )
    .await;
    let err = app
        .post_ok(
            &path,
            &json!({"eventType": "a.b", "eventId": "once", "payload": {"x": 1}}),
            409,
        )
        .await;
    assert_eq!(err["code"], "conflict");
    assert!(err["detail"].as_str().unwrap().contains("eventId"));
    assert_eq!(message_count(&app, &app_id).await, 1);
    // Another app may use the same eventId.
    let other = id(&app.create_app("B").await);
    app.post_ok(
        &format!("/api/v1/app/{other}/msg"),
        &json!({"eventType": "a.b", "eventId": "once", "payload": {}}),
        202,
    )
    .await;
}

#[tokio::test]
async fn invalid_messages_are_refused() {
    let app = spawn_app().await;
    let app_id = id(&app.create_app("A").await);
    let path = format!("/api/v1/app/{app_id}/msg");
    for (body, field) in [
        (json!({"eventType": "a", "payload": [1, 2]}), "payload"),
        (json!({"eventType": "a", "payload": "text"}), "payload"),
        (json!({"eventType": "a", "payload": 3}), "payload"),
        (json!({"eventType": "a", "payload": null}), "payload"),
        (
            json!({"eventType": "bad type!", "payload": {}}),
            "eventType",
        ),
        (
            json!({"eventType": "a", "eventId": "", "payload": {}}),
            "eventId",
        ),
        (
            json!({"eventType": "a", "payload": {}, "channels": []}),
            "channels",
        ),
        (
            json!({"eventType": "a", "payload": {}, "channels": ["1", "2", "3", "4", "5", "6"]}),
            "channels",
        ),
        (json!({"payload": {}}), "eventType"),
        (json!({"eventType": "a"}), "payload"),
    ] {
        let err = app.post_ok(&path, &body, 422).await;
        let locs: Vec<Value> = err["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["loc"].clone())
            .collect();
        assert!(locs.contains(&json!(["body", field])), "{body}: {locs:?}");
    }
    // Malformed JSON: a JSON 422, never axum's plain text.
    for bad in ["{not json", "", "[]", r#"{"eventType":"a","payload":{}"#] {
        let resp = post_raw(&app, &path, bad, &[]).await;
        assert_eq!(
            resp.headers()["content-type"],
            "application/json",
            "{bad:?}"
        );
        let err = expect_json(resp, 422).await;
        assert!(
            err["detail"][0]["msg"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{bad:?}"
        );
    }
    assert_eq!(message_count(&app, &app_id).await, 0);
    // Unknown app without an inline application: 404.
    expect_json(
        app.post(
            "/api/v1/app/nobody/msg",
            &json!({"eventType": "a", "payload": {}}),
        )
        .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn oversize_bodies_are_413_json() {
    let app = spawn_app_with(|c| c.max_payload_bytes = 4096).await;
    let app_id = id(&app.create_app("A").await);
    let big = "x".repeat(5000);
    let resp = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            &json!({"eventType": "a", "payload": {"big": big}}),
        )
        .await;
    assert_eq!(resp.headers()["content-type"], "application/json");
    let err = expect_json(resp, 413).await;
    assert_eq!(err["code"], "payload_too_large");
    assert_eq!(message_count(&app, &app_id).await, 0);
    let small = "x".repeat(3000);
    app.post_ok(
        &format!("/api/v1/app/{app_id}/msg"),
        &json!({"eventType": "a", "payload": {"s": small}}),
        202,
    )
    .await;
}

#[tokio::test]
async fn inline_application_is_created_once() {
    let app = spawn_app().await;
    let body = json!({"eventType": "a", "payload": {}, "application": {"name": "Inline"}});
    let msg = app.post_ok("/api/v1/app/inline-uid/msg", &body, 202).await;
    let created = app.get_ok("/api/v1/app/inline-uid").await;
    assert_eq!(
        (created["name"].clone(), created["uid"].clone()),
        (json!("Inline"), json!("inline-uid"))
    );
    app.post_ok(
        "/api/v1/app/inline-uid/msg",
        &json!({"eventType": "a", "payload": {}, "application": {"name": "Ignored"}}),
        202,
    )
    .await;
    assert_eq!(app.get_ok("/api/v1/app/inline-uid").await["name"], "Inline");
    assert_eq!(
        app.get_ok(&format!("/api/v1/app/inline-uid/msg/{}", id(&msg)))
            .await["id"],
        msg["id"]
    );
    let listed = app.get_ok("/api/v1/app").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn list_filters_and_pages_newest_first() {
    let app = spawn_app().await;
    let app_id = id(&app.create_app("A").await);
    let path = format!("/api/v1/app/{app_id}/msg");
    let specs = [
        ("t.one", Some(vec!["red"])),
        ("t.two", Some(vec!["red", "blue"])),
        ("t.one", None),
        ("t.two", Some(vec!["blue"])),
    ];
    let mut made = Vec::new();
    for (i, (et, ch)) in specs.iter().enumerate() {
        made.push(
            app.post_ok(
                &path,
                &json!({"eventType": et, "payload": {"i": i}, "channels": ch}),
                202,
            )
            .await,
        );
    }
    let ids = |v: &Value| -> Vec<String> { v["data"].as_array().unwrap().iter().map(id).collect() };
    let newest_first: Vec<String> = made.iter().rev().map(id).collect();

    let all = app.get_ok(&path).await;
    assert_eq!(ids(&all), newest_first);
    assert_eq!(all["data"][0]["payload"], json!({"i": 3}));
    assert_eq!(
        app.get_ok(&format!("{path}?with_content=false")).await["data"][0]["payload"],
        json!({})
    );

    let set = |v: Vec<String>| v.into_iter().collect::<HashSet<_>>();
    assert_eq!(
        set(ids(&app.get_ok(&format!("{path}?event_types=t.one")).await)),
        set(vec![id(&made[0]), id(&made[2])])
    );
    assert_eq!(
        set(ids(&app
            .get_ok(&format!("{path}?event_types=t.one,t.two"))
            .await)),
        set(newest_first.clone())
    );
    assert_eq!(
        set(ids(&app.get_ok(&format!("{path}?channel=red")).await)),
        set(vec![id(&made[0]), id(&made[1])])
    );
    assert_eq!(
        set(ids(&app
            .get_ok(&format!("{path}?channel=blue&event_types=t.two"))
            .await)),
        set(vec![id(&made[1]), id(&made[3])])
    );
    assert_eq!(
        ids(&app
            .get_ok(&format!("{path}?before=2000-01-01T00:00:00Z"))
            .await),
        Vec::<String>::new()
    );
    assert_eq!(
        set(ids(&app
            .get_ok(&format!("{path}?after=2000-01-01T00:00:00%2B00:00"))
            .await)),
        set(newest_first.clone())
    );
    expect_json(app.get(&format!("{path}?before=nonsense")).await, 422).await;

    // Paging two at a time, newest first, no gaps or repeats.
    let p1 = app.get_ok(&format!("{path}?limit=2")).await;
    assert_eq!(
        (ids(&p1), p1["done"].clone()),
        (newest_first[..2].to_vec(), json!(false))
    );
    let p2 = app
        .get_ok(&format!(
            "{path}?limit=2&iterator={}",
            p1["iterator"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (ids(&p2), p2["done"].clone()),
        (newest_first[2..].to_vec(), json!(true))
    );
    let back = app
        .get_ok(&format!(
            "{path}?limit=2&iterator={}",
            p2["prevIterator"].as_str().unwrap()
        ))
        .await;
    assert_eq!(ids(&back), newest_first[..2].to_vec());

    expect_json(
        app.get(&format!("{path}/msg_2Z7Qv3n8ZfKx9Y1aBcDeFgHiJkL"))
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn idempotency_key_replays_the_same_response() {
    let app = spawn_app().await;
    let app_id = id(&app.create_app("A").await);
    let path = format!("/api/v1/app/{app_id}/msg");
    let body = r#"{"eventType":"a.b","payload":{"n":1}}"#;
    let key = [("idempotency-key", "key-1")];

    let first = post_raw(&app, &path, body, &key).await;
    assert_eq!(first.status(), 202);
    let first = first.text().await.unwrap();
    let again = post_raw(&app, &path, body, &key).await;
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers()["content-type"], "application/json");
    assert_eq!(
        again.text().await.unwrap(),
        first,
        "the replay must be byte-identical"
    );
    assert_eq!(message_count(&app, &app_id).await, 1);

    // A different key, or no key, runs again.
    post_raw(&app, &path, body, &[("idempotency-key", "key-2")]).await;
    post_raw(&app, &path, body, &[]).await;
    assert_eq!(message_count(&app, &app_id).await, 3);

    // Failures are not stored: the same key may succeed later.
    let bad = post_raw(
        &app,
        &path,
        r#"{"eventType":"a.b","payload":[]}"#,
        &[("idempotency-key", "key-3")],
    )
    .await;
    assert_eq!(bad.status(), 422);
    let ok = post_raw(&app, &path, body, &[("idempotency-key", "key-3")]).await;
    assert_eq!(ok.status(), 202);
    assert_eq!(message_count(&app, &app_id).await, 4);
}

#[tokio::test]
async fn concurrent_duplicates_run_once() {
    let app = spawn_app().await;
    let app_id = id(&app.create_app("A").await);
    let path = format!("/api/v1/app/{app_id}/msg");
    let body = r#"{"eventType":"a.b","payload":{"n":2}}"#;
    let sends = (0..16).map(|_| async {
        let resp = post_raw(&app, &path, body, &[("idempotency-key", "same")]).await;
        (resp.status().as_u16(), resp.text().await.unwrap())
    });
    let results = futures::future::join_all(sends).await;
    let bodies: HashSet<&String> = results.iter().map(|(_, b)| b).collect();
    assert!(results.iter().all(|(s, _)| *s == 202), "{results:?}");
    assert_eq!(
        bodies.len(),
        1,
        "every duplicate must get the first response"
    );
    assert_eq!(message_count(&app, &app_id).await, 1);
}

#[tokio::test]
async fn raw_payloads_are_stored_as_given() {
    let app = spawn_app().await;
    let app_id = id(&app.create_app("A").await);
    let path = format!("/api/v1/app/{app_id}/msg");
    // What the SDK's `message_in_raw` sends: an empty payload plus the raw text.
    for raw in [
        "{\"b\": 2,   \"a\": [1, 2.50],\n \"s\": \"\\u00e9\"}",
        "plain text, not JSON",
    ] {
        let body = json!({"eventType": "raw.x", "payload": {}, "transformationsParams": {"rawPayload": raw}});
        let msg = app.post_ok(&path, &body, 202).await;
        let stored = app
            .state
            .store
            .get_message(&app_id, &id(&msg))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.payload, raw);
        // The SDK models need an object: non-object payloads read back as `{}`.
        let got = app.get_ok(&format!("{path}/{}", id(&msg))).await;
        let expected: Value = serde_json::from_str(raw).unwrap_or(json!({}));
        assert_eq!(got["payload"], expected);
    }
    let empty =
        json!({"eventType": "raw.x", "payload": {}, "transformationsParams": {"rawPayload": ""}});
    app.post_ok(&path, &empty, 422).await;
}
