//! Authentication and scopes: bad tokens are 401 JSON; app-portal tokens reach only their
//! app (and event-type reads); health needs no token.

use reqwest::Method;
use serde_json::{json, Value};
use sluice_server::auth::capability::Capabilities;
use sluice_server::auth::{issue_app_token, issue_org_token, AppToken, DEFAULT_ORG};

use crate::helpers::{expect_json, spawn_app, TestApp};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

async fn as_token(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    app.request_as(method, path, Some(token), body.as_ref())
        .await
}

#[tokio::test]
async fn missing_forged_and_expired_tokens_are_401() {
    let app = spawn_app().await;
    let forged = issue_org_token(b"some other secret", DEFAULT_ORG);
    let now = chrono::Utc::now().timestamp();
    let expired = issue_app_token(
        &app.state.jwt_secret,
        &AppToken {
            org_id: DEFAULT_ORG,
            app_id: "app_x",
            token_id: "ptok_x",
            capabilities: Capabilities::all(),
            issued_at: now - 7200,
            expires_at: now - 3600,
        },
    );
    let raw_secret = String::from_utf8(app.state.jwt_secret.to_vec()).unwrap();
    // Correctly signed, but without `exp` (tokens must expire) or not valid yet (`nbf`).
    let signed = |claims: Value| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&app.state.jwt_secret),
        )
        .unwrap()
    };
    let no_exp = signed(json!({"sub": DEFAULT_ORG, "iat": now}));
    let not_yet = signed(json!({"sub": DEFAULT_ORG, "exp": now + 3600, "nbf": now + 600}));
    let cases: Vec<(Option<&str>, &str)> = vec![
        (None, "no token"),
        (Some("garbage"), "garbage"),
        (Some(&forged), "forged"),
        (Some(&expired), "expired"),
        (Some(&raw_secret), "the secret itself"),
        (Some(&no_exp), "no exp"),
        (Some(&not_yet), "nbf in the future"),
    ];
    for (token, what) in cases {
        let resp = app
            .request_as(Method::GET, "/api/v1/app", token, None)
            .await;
        assert_eq!(resp.headers()["content-type"], "application/json", "{what}");
        let body = expect_json(resp, 401).await;
        assert_eq!(body["code"], "authentication_failed", "{what}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{what}"
        );
    }
    // A scheme other than Bearer.
    let resp = app
        .client
        .get(app.url("/api/v1/app"))
        .header("authorization", format!("Basic {}", app.token))
        .send()
        .await
        .unwrap();
    expect_json(resp, 401).await;
}

#[tokio::test]
async fn health_needs_no_token_and_org_tokens_cannot_log_out() {
    let app = spawn_app().await;
    let health = expect_json(
        app.request_as(Method::GET, "/api/v1/health", None, None)
            .await,
        200,
    )
    .await;
    assert_eq!(health["database"]["status"], "ok");
    let head = app
        .client
        .head(app.url("/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    let ping = app
        .request_as(Method::GET, "/api/v1/health/ping", None, None)
        .await;
    assert_eq!(ping.status(), 204);
    // Logout is for app-portal tokens (see api_portal); an org token is not a session.
    let body = expect_json(app.post("/api/v1/auth/logout", &json!({})).await, 403).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("app-portal tokens"),
        "{body}"
    );
    expect_json(
        app.request_as(Method::POST, "/api/v1/auth/logout", None, None)
            .await,
        401,
    )
    .await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = spawn_app().await;
    let body = expect_json(app.get("/api/v1/nope").await, 404).await;
    assert_eq!(body["code"], "not_found");
    let body = expect_json(
        app.request_as(Method::DELETE, "/api/v1/app", Some(&app.token), None)
            .await,
        405,
    )
    .await;
    assert!(body["code"].is_string());
}

#[tokio::test]
async fn app_portal_token_reaches_only_its_app() {
    let app = spawn_app().await;
    app.post_ok(
        "/api/v1/event-type",
        &json!({"name": "invoice.paid", "description": "d"}),
        201,
    )
    .await;
    let mine = app
        .post_ok("/api/v1/app", &json!({"name": "Mine", "uid": "mine"}), 201)
        .await;
    let other = app
        .post_ok(
            "/api/v1/app",
            &json!({"name": "Other", "uid": "other"}),
            201,
        )
        .await;
    let ep = app
        .create_endpoint(&id(&mine), "https://example.com/mine")
        .await;
    let other_ep = app
        .create_endpoint(&id(&other), "https://example.com/other")
        .await;

    let access = app
        .post_ok(
            &format!("/api/v1/auth/app-portal-access/{}", id(&mine)),
            &json!({}),
            200,
        )
        .await;
    let token = access["token"].as_str().unwrap().to_string();
    let url = access["url"].as_str().unwrap();
    assert!(
        url.contains("/portal#token=") && url.ends_with(&token),
        "{url}"
    );

    // Its own app, by id and by uid.
    let t = token.as_str();
    for key in [id(&mine), "mine".to_string()] {
        let eps = expect_json(
            as_token(
                &app,
                Method::GET,
                &format!("/api/v1/app/{key}/endpoint"),
                t,
                None,
            )
            .await,
            200,
        )
        .await;
        assert_eq!(eps["data"][0]["id"], ep["id"]);
    }
    expect_json(
        as_token(
            &app,
            Method::GET,
            &format!("/api/v1/app/{}", id(&mine)),
            t,
            None,
        )
        .await,
        200,
    )
    .await;
    let created = as_token(
        &app,
        Method::POST,
        "/api/v1/app/mine/endpoint",
        t,
        Some(json!({"url": "https://example.com/2"})),
    )
    .await;
    expect_json(created, 201).await;
    expect_json(
        as_token(
            &app,
            Method::GET,
            &format!("/api/v1/app/mine/endpoint/{}/secret", id(&ep)),
            t,
            None,
        )
        .await,
        200,
    )
    .await;
    // Reading event types is allowed; changing them is not.
    expect_json(
        as_token(&app, Method::GET, "/api/v1/event-type", t, None).await,
        200,
    )
    .await;
    expect_json(
        as_token(
            &app,
            Method::GET,
            "/api/v1/event-type/invoice.paid",
            t,
            None,
        )
        .await,
        200,
    )
    .await;
    let et = json!({"name": "x.y", "description": "d"});
    expect_json(
        as_token(&app, Method::POST, "/api/v1/event-type", t, Some(et)).await,
        403,
    )
    .await;

    // Other apps (existing or not), org-wide routes and app management are refused.
    for (method, path, body) in [
        (
            Method::GET,
            format!("/api/v1/app/{}/endpoint", id(&other)),
            None,
        ),
        (Method::GET, "/api/v1/app/other/endpoint".to_string(), None),
        (
            Method::GET,
            format!("/api/v1/app/{}/endpoint/{}", id(&other), id(&other_ep)),
            None,
        ),
        (Method::GET, "/api/v1/app/does-not-exist".to_string(), None),
        (Method::GET, "/api/v1/app".to_string(), None),
        (
            Method::POST,
            "/api/v1/app".to_string(),
            Some(json!({"name": "nope"})),
        ),
        (Method::DELETE, format!("/api/v1/app/{}", id(&mine)), None),
        (
            Method::PATCH,
            format!("/api/v1/app/{}", id(&mine)),
            Some(json!({"name": "x"})),
        ),
        (
            Method::POST,
            format!("/api/v1/auth/app-portal-access/{}", id(&other)),
            Some(json!({})),
        ),
        (
            Method::POST,
            "/api/v1/app/mine/msg".to_string(),
            Some(json!({"eventType": "a", "payload": {}})),
        ),
    ] {
        let resp = as_token(&app, method.clone(), &path, t, body).await;
        let body = expect_json(resp, 403).await;
        assert_eq!(body["code"], "forbidden", "{method} {path}");
    }
    // The other app is untouched.
    expect_json(app.get(&format!("/api/v1/app/{}", id(&other))).await, 200).await;
}

#[tokio::test]
async fn app_portal_access_needs_an_existing_app_or_creates_one() {
    let app = spawn_app().await;
    expect_json(
        app.post("/api/v1/auth/app-portal-access/ghost", &json!({}))
            .await,
        404,
    )
    .await;
    let body = json!({"application": {"name": "Portal", "uid": "portal-app"}});
    let access = app
        .post_ok("/api/v1/auth/app-portal-access/portal-app", &body, 200)
        .await;
    let created = app.get_ok("/api/v1/app/portal-app").await;
    assert_eq!(created["name"], "Portal");
    let token = access["token"].as_str().unwrap();
    let got = expect_json(
        app.request_as(Method::GET, "/api/v1/app/portal-app", Some(token), None)
            .await,
        200,
    )
    .await;
    assert_eq!(got["id"], created["id"]);
    // Lifetimes outside 1 h ..= 28 d are refused.
    expect_json(
        app.post(
            "/api/v1/auth/app-portal-access/portal-app",
            &json!({"expiry": 60}),
        )
        .await,
        422,
    )
    .await;
    // Another org cannot get a token for this app.
    let org_b = issue_org_token(&app.state.jwt_secret, "org_B");
    let resp = app
        .request_as(
            Method::POST,
            "/api/v1/auth/app-portal-access/portal-app",
            Some(&org_b),
            Some(&json!({})),
        )
        .await;
    expect_json(resp, 404).await;
}
