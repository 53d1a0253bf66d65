//! Input bounds of endpoints (app and source endpoints, create, replace, patch) and their
//! custom headers, as in `api_limits`; the event-type filter at its 1,000-name limit; and
//! list fields that are sets (`eventTypes`/`filterTypes`, `channels`): repeats dropped
//! before the limits count them.

use futures::StreamExt;
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::api_limits::{b, metadata_bound, s, table, url_of, Bound};
use crate::helpers::{expect_json, spawn_app, TestApp};

/// `n` distinct channel names of 256 characters.
fn channels(n: usize) -> Value {
    json!((0..n)
        .map(|i| format!("{i:02}{}", "c".repeat(254)))
        .collect::<Vec<_>>())
}

/// `n` headers, each value `value_len` bytes.
fn headers(n: usize, value_len: usize) -> Value {
    let m: Map<String, Value> = (0..n)
        .map(|i| (format!("x-h{i}"), json!(s(value_len))))
        .collect();
    Value::Object(m)
}

/// The bounds every full endpoint body shares.
fn endpoint_bounds() -> Vec<Bound> {
    let mut v = vec![
        b("url", json!(url_of(65_536)), json!(url_of(65_537))),
        b("description", json!(s(4096)), json!(s(4097))),
        b("channels", channels(10), channels(11)),
        b("channels", json!([s(256)]), json!([s(257)])),
    ];
    v.extend(metadata_bound("metadata", "metadata"));
    v
}

/// The header bounds, for a body field `path` located at `headers`.
fn header_bounds(path: &'static str) -> Vec<Bound> {
    let name = |n: usize| json!({ s(n): "v" });
    vec![
        Bound {
            path,
            loc: "headers",
            at: headers(50, 4096),
            over: headers(51, 1),
        },
        Bound {
            path,
            loc: "headers",
            at: headers(1, 4096),
            over: headers(1, 4097),
        },
        Bound {
            path,
            loc: "headers",
            at: name(256),
            over: name(257),
        },
    ]
}

async fn new_app(app: &TestApp) -> String {
    app.create_app_id("e").await
}

#[tokio::test]
async fn app_endpoints() {
    let app = spawn_app().await;
    let id = new_app(&app).await;
    let base = |_| json!({"url": "https://example.com/hook"});
    let mut create = endpoint_bounds();
    create.push(b("uid", json!(s(256)), json!(s(257))));
    create.extend(header_bounds("headers"));
    let list = |_| format!("/api/v1/app/{id}/endpoint");
    table(&app, Method::POST, list, base, 201, &create).await;

    // PUT creating (the path is the uid) and replacing, then PATCH.
    let put_new = |n| format!("/api/v1/app/{id}/endpoint/put-{n}");
    table(&app, Method::PUT, put_new, base, 201, &endpoint_bounds()).await;
    let put_old = |_| format!("/api/v1/app/{id}/endpoint/put-0");
    // A replacing PUT sets every field, the uid included: keep it.
    let replace = |_| json!({"url": "https://example.com/hook", "uid": "put-0"});
    table(&app, Method::PUT, put_old, replace, 200, &endpoint_bounds()).await;
    table(
        &app,
        Method::PATCH,
        put_old,
        |_| json!({}),
        200,
        &endpoint_bounds(),
    )
    .await;
}

#[tokio::test]
async fn source_endpoints_and_header_routes() {
    let app = spawn_app().await;
    let src = app
        .post_ok(
            "/ingest/api/v1/source",
            &json!({"name": "s", "type": "generic-webhook"}),
            201,
        )
        .await;
    let src_id = src["id"].as_str().unwrap().to_string();
    let base = |_| json!({"url": "https://example.com/hook"});
    let mut create = endpoint_bounds();
    create.extend(header_bounds("headers"));
    let list = |_| format!("/ingest/api/v1/source/{src_id}/endpoint");
    table(&app, Method::POST, list, base, 201, &create).await;
    let put = |n| format!("/ingest/api/v1/source/{src_id}/endpoint/put-{n}");
    table(&app, Method::PUT, put, base, 201, &endpoint_bounds()).await;

    let ep = app
        .post_ok(&list(0), &json!({"url": "https://example.com/h"}), 201)
        .await;
    let ep_id = ep["id"].as_str().unwrap().to_string();
    for prefix in [
        format!("/api/v1/app/{src_id}/endpoint/{ep_id}/headers"),
        format!("/ingest/api/v1/source/{src_id}/endpoint/{ep_id}/headers"),
    ] {
        let hdrs = header_bounds("headers");
        let path = |_| prefix.clone();
        table(&app, Method::PUT, path, |_| json!({}), 204, &hdrs).await;
        // PATCH merges into the stored set: start each pair from none.
        let one = [Bound {
            path: "headers",
            loc: "headers",
            at: headers(1, 4096),
            over: headers(1, 4097),
        }];
        table(&app, Method::PATCH, path, |_| json!({}), 204, &one).await;
    }
}

#[tokio::test]
async fn the_event_type_filter_holds_at_most_1000_distinct_names() {
    let app = spawn_app().await;
    let id = new_app(&app).await;
    // 1,000 event types, created through the API a few at a time.
    let names: Vec<String> = (0..1000).map(|i| format!("t.{i:04}")).collect();
    let created = futures::stream::iter(names.clone())
        .map(|n| {
            let app = &app;
            async move {
                let body = json!({"name": n, "description": "d"});
                app.post("/api/v1/event-type", &body)
                    .await
                    .status()
                    .as_u16()
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    assert!(created.iter().all(|s| *s == 201));

    let base = format!("/api/v1/app/{id}/endpoint");
    let mut repeated = names.clone();
    repeated.extend(names.iter().take(10).cloned());
    let ep = app
        .post_ok(
            &base,
            &json!({"url": "https://example.com/h", "filterTypes": repeated}),
            201,
        )
        .await;
    assert_eq!(
        ep["eventTypes"],
        json!(names),
        "repeats dropped, order kept"
    );
    let mut over = names.clone();
    over.push("t.extra".into());
    for body in [
        json!({"url": "https://example.com/h", "eventTypes": over}),
        json!({"url": "https://example.com/h", "eventTypes": [s(257)]}),
    ] {
        let err = expect_json(app.post(&base, &body).await, 422).await;
        assert_eq!(
            err["detail"][0]["loc"],
            json!(["body", "eventTypes"]),
            "{err}"
        );
        assert_eq!(
            err["detail"].as_array().unwrap().len(),
            1,
            "one problem, no lookups"
        );
    }
    let patch = format!("{base}/{}", ep["id"].as_str().unwrap());
    let err = expect_json(app.patch(&patch, &json!({"eventTypes": over})).await, 422).await;
    assert_eq!(err["detail"][0]["loc"], json!(["body", "eventTypes"]));
}

#[tokio::test]
async fn sets_drop_repeats_before_they_are_counted() {
    let app = spawn_app().await;
    let id = new_app(&app).await;
    for name in ["a.one", "a.two"] {
        app.post_ok(
            "/api/v1/event-type",
            &json!({"name": name, "description": "d"}),
            201,
        )
        .await;
    }
    let base = format!("/api/v1/app/{id}/endpoint");
    // Eleven entries, ten distinct: within the cap of ten.
    let mut eleven: Vec<Value> = channels(10).as_array().unwrap().clone();
    eleven.push(eleven[3].clone());
    let ep = app
        .post_ok(
            &base,
            &json!({"url": "https://example.com/h", "channels": eleven,
                    "filterTypes": ["a.one", "a.two", "a.one"]}),
            201,
        )
        .await;
    assert_eq!(ep["channels"], channels(10));
    assert_eq!(ep["eventTypes"], json!(["a.one", "a.two"]));
    assert_eq!(ep["filterTypes"], json!(["a.one", "a.two"]));
    let path = format!("{base}/{}", ep["id"].as_str().unwrap());
    let got = app.get_ok(&path).await;
    assert_eq!(
        (&got["channels"], &got["eventTypes"]),
        (&ep["channels"], &ep["eventTypes"])
    );

    let body = json!({"url": "https://example.com/h", "channels": ["b", "a", "b"],
                      "eventTypes": ["a.two", "a.two"]});
    let put = app.put(&path, &body).await;
    let put = expect_json(put, 200).await;
    assert_eq!(
        (&put["channels"], &put["eventTypes"]),
        (&json!(["b", "a"]), &json!(["a.two"]))
    );
    let patched = expect_json(
        app.patch(
            &path,
            &json!({"channels": ["z", "z"], "filterTypes": ["a.one", "a.one"]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(patched["channels"], json!(["z"]));
    assert_eq!(patched["eventTypes"], json!(["a.one"]));

    // Messages: six entries, five distinct, within Svix's five.
    let msg = app
        .post_ok(
            &format!("/api/v1/app/{id}/msg"),
            &json!({"eventType": "a.one", "payload": {},
                    "channels": ["c1", "c2", "c3", "c4", "c5", "c1"]}),
            202,
        )
        .await;
    assert_eq!(msg["channels"], json!(["c1", "c2", "c3", "c4", "c5"]));
    let stored = app
        .get_ok(&format!(
            "/api/v1/app/{id}/msg/{}",
            msg["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(stored["channels"], msg["channels"]);
}
