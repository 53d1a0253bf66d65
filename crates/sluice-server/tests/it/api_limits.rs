//! Input bounds, model by model: for every bounded field a value exactly at the limit is
//! accepted and one just over it is a 422 whose `loc` names the field (and whose body does
//! not echo the value back). The limits are `sluice_server::api::validation::limits` and
//! the table in docs/API.md. Endpoints and headers are in `api_limits_endpoints`.

use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::helpers::{spawn_app, TestApp};

/// One bounded field: where it goes in the body, the `loc` of its error (usually the same),
/// a value exactly at the limit and one over it.
pub struct Bound {
    pub path: &'static str,
    pub loc: &'static str,
    pub at: Value,
    pub over: Value,
}

/// A bound whose `loc` is its body path.
pub fn b(path: &'static str, at: Value, over: Value) -> Bound {
    Bound {
        path,
        loc: path,
        at,
        over,
    }
}

/// `n` characters.
pub fn s(n: usize) -> String {
    "x".repeat(n)
}

/// An `https` URL exactly `n` characters long.
pub fn url_of(n: usize) -> String {
    let base = "https://example.com/";
    format!("{base}{}", "a".repeat(n - base.len()))
}

/// Metadata of exactly 4,096 bytes as JSON, and one over: a big value, and many keys.
pub fn metadata_bound(path: &'static str, loc: &'static str) -> [Bound; 2] {
    let many: Map<String, Value> = (0..600).map(|i| (format!("k{i:03}"), json!(""))).collect();
    [
        Bound {
            path,
            loc,
            at: json!({"k": s(4096 - 8)}),
            over: json!({"k": s(4096 - 7)}),
        },
        Bound {
            path,
            loc,
            at: json!({"a": "1", "b": "2"}),
            over: Value::Object(many),
        },
    ]
}

/// `body` with `value` at `path` (`a` or `a.b`), creating objects on the way.
fn with(mut body: Value, path: &str, value: Value) -> Value {
    let mut at = &mut body;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            at[part] = value;
            break;
        }
        if !at[part].is_object() {
            at[part] = json!({});
        }
        at = &mut at[part];
    }
    body
}

/// Runs every bound of one route: request `n` goes to `path(n)` with `base(n)` plus the
/// bounded value; the value at the limit answers `ok`, the one over it a 422 at `loc`.
pub async fn table(
    app: &TestApp,
    method: Method,
    path: impl Fn(usize) -> String,
    base: impl Fn(usize) -> Value,
    ok: u16,
    bounds: &[Bound],
) {
    for (i, bound) in bounds.iter().enumerate() {
        for (n, value, want) in [(2 * i, &bound.at, ok), (2 * i + 1, &bound.over, 422)] {
            let body = with(base(n), bound.path, value.clone());
            let resp = app
                .request_as(method.clone(), &path(n), Some(&app.token), Some(&body))
                .await;
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap();
            let what = format!("{method} {} {} ({} of 2)", path(n), bound.path, n % 2 + 1);
            assert_eq!(status, want, "{what}: {}", &text[..text.len().min(500)]);
            if want == 422 {
                let err: Value = serde_json::from_str(&text).unwrap();
                let locs: Vec<&Value> = err["detail"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| &d["loc"])
                    .collect();
                assert!(
                    locs.contains(&&json!(["body", bound.loc])),
                    "{what}: {locs:?}"
                );
                assert!(text.len() < 2000, "{what}: the value is not echoed back");
            }
        }
    }
}

#[tokio::test]
async fn applications() {
    let app = spawn_app().await;
    let base = |_| json!({"name": "a"});
    let mut bounds = vec![
        b("name", json!(s(256)), json!(s(257))),
        b("uid", json!(s(256)), json!(s(257))),
    ];
    bounds.extend(metadata_bound("metadata", "metadata"));
    table(
        &app,
        Method::POST,
        |_| "/api/v1/app".into(),
        base,
        201,
        &bounds,
    )
    .await;

    let put_path = |n| format!("/api/v1/app/put-{n}");
    let mut put = vec![b("name", json!(s(256)), json!(s(257)))];
    put.extend(metadata_bound("metadata", "metadata"));
    table(&app, Method::PUT, put_path, base, 201, &put).await;

    let id = app.create_app_id("patched").await;
    let patch_path = |_| format!("/api/v1/app/{id}");
    let mut patch = vec![
        b("name", json!(s(256)), json!(s(257))),
        b("uid", json!("y".repeat(256)), json!("y".repeat(257))),
    ];
    patch.extend(metadata_bound("metadata", "metadata"));
    table(&app, Method::PATCH, patch_path, |_| json!({}), 200, &patch).await;
}

#[tokio::test]
async fn event_types() {
    let app = spawn_app().await;
    let base = |n| json!({"name": format!("et.{n}"), "description": "d"});
    let bounds = [
        b("name", json!(s(256)), json!(s(257))),
        b("description", json!(s(4096)), json!(s(4097))),
        b("featureFlag", json!(s(256)), json!(s(257))),
        b("featureFlags", json!([s(256)]), json!([s(257)])),
    ];
    let post = |_| "/api/v1/event-type".to_string();
    table(&app, Method::POST, post, base, 201, &bounds).await;

    let put_path = |n| format!("/api/v1/event-type/put.{n}");
    let put = [
        b("description", json!(s(4096)), json!(s(4097))),
        b("featureFlag", json!(s(256)), json!(s(257))),
    ];
    table(
        &app,
        Method::PUT,
        put_path,
        |_| json!({"description": "d"}),
        201,
        &put,
    )
    .await;
    let patch_path = |_| "/api/v1/event-type/put.0".to_string();
    table(&app, Method::PATCH, patch_path, |_| json!({}), 200, &put).await;
}

#[tokio::test]
async fn messages() {
    let app = spawn_app().await;
    let id = app.create_app_id("m").await;
    let five: Vec<String> = (0..5).map(|i| format!("{i}{}", "c".repeat(255))).collect();
    let mut six = five.clone();
    six.push("one-more".into());
    let bounds = [
        b("eventType", json!(s(256)), json!(s(257))),
        b("eventId", json!(s(256)), json!(s(257))),
        b("channels", json!(five), json!(six)),
        b("channels", json!([s(256)]), json!([s(257)])),
    ];
    let base = |_| json!({"eventType": "a.b", "payload": {}});
    let path = |_| format!("/api/v1/app/{id}/msg");
    table(&app, Method::POST, path, base, 202, &bounds).await;

    // The inline application of a message to an app that does not exist yet.
    let mut inline = vec![Bound {
        path: "application.name",
        loc: "name",
        at: json!(s(256)),
        over: json!(s(257)),
    }];
    inline.extend(metadata_bound("application.metadata", "metadata"));
    let path = |n| format!("/api/v1/app/inline-{n}/msg");
    let base = |_| json!({"eventType": "a.b", "payload": {}, "application": {"name": "i"}});
    table(&app, Method::POST, path, base, 202, &inline).await;
}

#[tokio::test]
async fn app_portal_access() {
    let app = spawn_app().await;
    let mut bounds = vec![Bound {
        path: "application.name",
        loc: "name",
        at: json!(s(256)),
        over: json!(s(257)),
    }];
    bounds.extend(metadata_bound("application.metadata", "metadata"));
    let path = |n| format!("/api/v1/auth/app-portal-access/portal-{n}");
    let base = |_| json!({"application": {"name": "p"}});
    table(&app, Method::POST, path, base, 200, &bounds).await;
}

#[tokio::test]
async fn sources() {
    let app = spawn_app().await;
    let path = |_| "/ingest/api/v1/source".to_string();
    let stripe = |_| json!({"name": "s", "type": "stripe", "config": {"secret": "whsec_x"}});
    let ips = |n: usize| json!(vec!["10.0.0.1"; n]);
    let mut bounds = vec![
        b("name", json!(s(256)), json!(s(257))),
        b("uid", json!(s(256)), json!(s(257))),
        b("config.secret", json!(s(1024)), json!(s(1025))),
        b("config.allowedIps", ips(100), ips(101)),
    ];
    bounds.extend(metadata_bound("metadata", "metadata"));
    table(&app, Method::POST, path, stripe, 201, &bounds).await;

    let generic = |_| json!({"name": "g", "type": "generic-webhook", "config": {}});
    let bearer = |n: usize| json!([{"type": "bearer", "token": s(n)}]);
    let creds = |n: usize| json!(vec![json!({"type": "bearer", "token": "t"}); n]);
    let header = |n: usize| json!([{"type": "header", "name": "x-key", "value": s(n)}]);
    let basic = |n: usize| json!([{"type": "basic", "username": "u", "password": s(n)}]);
    let pointer = |n: usize| json!(format!("/{}", s(n - 1)));
    let generic_bounds = [
        b("config.auth", bearer(4096), bearer(4097)),
        b("config.auth", creds(10), creds(11)),
        b("config.auth", header(4096), header(4097)),
        b("config.auth", basic(1024), basic(1025)),
        b("config.idHeader", json!(s(256)), json!(s(257))),
        b("config.idJsonPointer", pointer(1024), pointer(1025)),
    ];
    table(&app, Method::POST, path, generic, 201, &generic_bounds).await;

    let meta = |_| json!({"name": "m", "type": "meta", "config": {"secret": "s"}});
    let verify = [b("config.verifyToken", json!(s(1024)), json!(s(1025)))];
    table(&app, Method::POST, path, meta, 201, &verify).await;

    let cron = |_| {
        json!({"name": "c", "type": "cron",
               "config": {"schedule": "0 * * * *", "payload": "{}"}})
    };
    let content_type = |n: usize| json!(format!("text/plain; x={}", s(n - 14)));
    let ct = [b(
        "config.contentType",
        content_type(1024),
        content_type(1025),
    )];
    table(&app, Method::POST, path, cron, 201, &ct).await;

    // PUT replaces: the same bounds apply to an existing source.
    let src = app.post_ok("/ingest/api/v1/source", &stripe(0), 201).await;
    let id = src["id"].as_str().unwrap().to_string();
    let put = [
        b("name", json!(s(256)), json!(s(257))),
        b("config.secret", json!(s(1024)), json!(s(1025))),
    ];
    let put_path = |_| format!("/ingest/api/v1/source/{id}");
    table(&app, Method::PUT, put_path, stripe, 200, &put).await;
}
