//! App-portal tokens: every capability × route of the access table through the real server,
//! `readOnly` and `ViewBase` tokens that cannot change anything or see secrets, logout and
//! expire-all that really end tokens (and survive a restart: they live in the store), and
//! sources' applications, which no portal token may reach.

use reqwest::Method;
use serde_json::{json, Value};
use sluice_server::auth::capability::{Capabilities, Capability};
use sluice_server::auth::table::{Access, ROUTES};
use sluice_server::auth::{issue_app_token, AppToken, PORTAL_TOKEN_PREFIX};
use sluice_store::PortalToken;

use crate::helpers::{expect_json, spawn_app, spawn_app_in, TestApp};

/// A portal token for `app_id` from `app-portal-access` with `body`.
async fn mint(app: &TestApp, app_id: &str, body: Value) -> String {
    let access = app
        .post_ok(
            &format!("/api/v1/auth/app-portal-access/{app_id}"),
            &body,
            200,
        )
        .await;
    access["token"].as_str().expect("token").to_string()
}

async fn call(app: &TestApp, method: Method, path: &str, token: &str) -> (u16, Value) {
    let body = matches!(method, Method::POST | Method::PUT | Method::PATCH).then(|| json!({}));
    let resp = app
        .request_as(method, path, Some(token), body.as_ref())
        .await;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A route template with its parameters filled in: `app` for `{app_id}`, and ids that
/// exist nowhere for the rest (so allowed calls stop at a 404 or 422 and change nothing).
fn fill(template: &str, app: &str) -> String {
    template
        .replace("{app_id}", app)
        .replace("{endpoint_id}", "missing-ep")
        .replace("{msg_id}", "missing-msg")
        .replace("{attempt_id}", "atmpt_missing")
        .replace("{event_type_name}", "missing.type")
        .replace("{source_id}", "missing-src")
}

/// Asserts the route let the caller through: any answer but a refusal, a server error or
/// the router's own "no such route".
fn assert_passed(what: &str, status: u16, body: &Value) {
    assert!(
        matches!(status, 200..=204 | 404 | 409 | 422),
        "{what}: expected to pass the access check, got {status} {body}"
    );
    assert_ne!(
        body["detail"], "No such route",
        "{what}: route does not exist"
    );
}

#[tokio::test]
async fn every_route_of_the_table_enforces_its_capability() {
    let app = spawn_app().await;
    let portal_app = app
        .post_ok(
            "/api/v1/app",
            &json!({"name": "P", "uid": "table-app"}),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Grants under test: the default (everything), readOnly, ViewBase alone, and ViewBase
    // plus each other capability.
    let mut grants: Vec<(String, Value, Capabilities)> = vec![
        ("default".into(), json!({}), Capabilities::all()),
        (
            "readOnly".into(),
            json!({"readOnly": true}),
            Capabilities::from_iter([Capability::ViewBase]),
        ),
    ];
    for extra in Capability::ALL {
        let caps = Capabilities::from_iter([Capability::ViewBase, extra]);
        let names = serde_json::to_value(caps).unwrap();
        grants.push((format!("{names}"), json!({ "capabilities": names }), caps));
    }
    let mut tokens = Vec::new();
    for (name, body, caps) in grants {
        tokens.push((name, mint(&app, &portal_app, body).await, caps));
    }

    let mut checked = 0;
    for (method, template, access) in ROUTES {
        if *access == Access::AnyToken {
            continue; // logout: it would end the token (see logout_ends_only_that_token)
        }
        // The org token passes every route; it uses an app that does not exist, so the
        // destructive routes (delete, expire-all) have nothing to act on.
        let path = fill(template, "no-such-app");
        let (status, body) = call(&app, method.clone(), &path, &app.token).await;
        assert_passed(&format!("org {method} {path}"), status, &body);

        let path = fill(template, &portal_app);
        for (name, token, caps) in &tokens {
            let (status, body) = call(&app, method.clone(), &path, token).await;
            let what = format!("{name} {method} {path}");
            let allowed = matches!(access, Access::Portal(need) if caps.allows(*need));
            if allowed {
                assert_passed(&what, status, &body);
            } else {
                assert_eq!(status, 403, "{what}: must be refused; got {body}");
                assert_eq!(body["code"], "forbidden", "{what}");
            }
            checked += 1;
        }
    }
    assert!(checked > 400, "only {checked} checks ran");
}

#[tokio::test]
async fn read_only_and_view_base_tokens_change_nothing_and_see_no_secret() {
    let app = spawn_app().await;
    let app_id = app.create_app_id("A").await;
    let ep = app.create_endpoint(&app_id, "https://example.com/a").await;
    let ep_id = ep["id"].as_str().unwrap().to_string();
    let secret = app.endpoint_secret(&app_id, &ep_id).await;
    let base = format!("/api/v1/app/{app_id}/endpoint");
    let new_ep = json!({"url": "https://example.com/new"});

    for body in [
        json!({"readOnly": true}),
        json!({"capabilities": ["ViewBase"]}),
    ] {
        let t = mint(&app, &app_id, body.clone()).await;
        let t = Some(t.as_str());
        let got = expect_json(app.request_as(Method::GET, &base, t, None).await, 200).await;
        assert_eq!(got["data"][0]["id"], ep["id"], "{body}: can view");
        for (method, path, payload) in [
            (Method::POST, base.clone(), Some(&new_ep)),
            (Method::GET, format!("{base}/{ep_id}/secret"), None),
            (Method::POST, format!("{base}/{ep_id}/secret/rotate"), None),
            (Method::PATCH, format!("{base}/{ep_id}"), Some(&new_ep)),
            (Method::DELETE, format!("{base}/{ep_id}"), None),
        ] {
            let resp = app.request_as(method.clone(), &path, t, payload).await;
            let err = expect_json(resp, 403).await;
            assert!(
                err["detail"].as_str().unwrap().contains("capability"),
                "{body} {method} {path}: {err}"
            );
        }
    }
    // Nothing changed.
    let eps = app.get_ok(&base).await;
    assert_eq!(eps["data"].as_array().unwrap().len(), 1);
    assert_eq!(app.endpoint_secret(&app_id, &ep_id).await, secret);

    // Each capability opens exactly its routes.
    let t = mint(
        &app,
        &app_id,
        json!({"capabilities": ["ViewBase", "ViewEndpointSecret"]}),
    )
    .await;
    let got = app
        .request_as(
            Method::GET,
            &format!("{base}/{ep_id}/secret"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(expect_json(got, 200).await["key"], secret.as_str());
    let t = mint(
        &app,
        &app_id,
        json!({"capabilities": ["ViewBase", "ManageEndpointSecret"]}),
    )
    .await;
    let path = format!("{base}/{ep_id}/secret/rotate");
    let rotated = expect_json(
        app.request_as(Method::POST, &path, Some(&t), None).await,
        200,
    )
    .await;
    assert_ne!(rotated["key"], secret.as_str());
    let t = mint(
        &app,
        &app_id,
        json!({"capabilities": ["ViewBase", "ManageEndpoint"]}),
    )
    .await;
    let resp = app
        .request_as(Method::POST, &base, Some(&t), Some(&new_ep))
        .await;
    expect_json(resp, 201).await;

    // A grant without ViewBase, or with an unknown capability, is refused.
    for body in [
        json!({"capabilities": ["ManageEndpoint"]}),
        json!({"capabilities": []}),
        json!({"capabilities": ["ViewBase", "Root"]}),
        json!({"sessionId": "has spaces"}),
    ] {
        let path = format!("/api/v1/auth/app-portal-access/{app_id}");
        expect_json(app.post(&path, &body).await, 422).await;
    }
}

#[tokio::test]
async fn logout_ends_only_that_token_and_survives_a_restart() {
    let app = spawn_app().await;
    let app_id = app.create_app_id("A").await;
    let path = format!("/api/v1/app/{app_id}");
    let a = mint(&app, &app_id, json!({})).await;
    let b = mint(&app, &app_id, json!({})).await;
    for t in [&a, &b] {
        expect_json(app.request_as(Method::GET, &path, Some(t), None).await, 200).await;
    }
    let out = app
        .request_as(Method::POST, "/api/v1/auth/logout", Some(&a), None)
        .await;
    assert_eq!(out.status(), 204);
    let err = expect_json(
        app.request_as(Method::GET, &path, Some(&a), None).await,
        401,
    )
    .await;
    assert!(err["detail"].as_str().unwrap().contains("revoked"), "{err}");
    // Logging out again is a 401 like any other use.
    let again = app
        .request_as(Method::POST, "/api/v1/auth/logout", Some(&a), None)
        .await;
    expect_json(again, 401).await;
    expect_json(
        app.request_as(Method::GET, &path, Some(&b), None).await,
        200,
    )
    .await;

    // The revocation is in the store, not in this process: a restarted server (as another
    // node would) still refuses the token.
    let dir = app.data_dir.clone();
    app.stop().await;
    let app = spawn_app_in(dir, |_| {}).await;
    expect_json(
        app.request_as(Method::GET, &path, Some(&a), None).await,
        401,
    )
    .await;
    expect_json(
        app.request_as(Method::GET, &path, Some(&b), None).await,
        200,
    )
    .await;
}

#[tokio::test]
async fn expire_all_ends_an_apps_tokens_or_one_sessions() {
    let app = spawn_app().await;
    let app_id = app.create_app_id("A").await;
    let other_id = app.create_app_id("B").await;
    let path = format!("/api/v1/app/{app_id}");
    let expire = format!("/api/v1/auth/app/{app_id}/expire-all");
    let alice = mint(&app, &app_id, json!({"sessionId": "alice@example_1"})).await;
    let bob = mint(&app, &app_id, json!({"sessionId": "bob"})).await;
    let plain = mint(&app, &app_id, json!({})).await;
    let other = mint(&app, &other_id, json!({})).await;
    let status = |t: String, p: String| {
        let app = &app;
        async move {
            app.request_as(Method::GET, &p, Some(&t), None)
                .await
                .status()
                .as_u16()
        }
    };

    // Bad bodies, unknown apps and portal tokens are refused.
    for body in [
        json!({"expiry": -1}),
        json!({"expiry": 259_201}),
        json!({"sessionIds": ["ok", "not ok"]}),
    ] {
        expect_json(app.post(&expire, &body).await, 422).await;
    }
    expect_json(
        app.post("/api/v1/auth/app/no-such-app/expire-all", &json!({}))
            .await,
        404,
    )
    .await;
    let resp = app
        .request_as(Method::POST, &expire, Some(&plain), Some(&json!({})))
        .await;
    expect_json(resp, 403).await;

    // A delay leaves the tokens working until then.
    let resp = app.post(&expire, &json!({"expiry": 3600})).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(status(plain.clone(), path.clone()).await, 200);

    // One session.
    let resp = app
        .post(&expire, &json!({"sessionIds": ["alice@example_1"]}))
        .await;
    assert_eq!(resp.status(), 204);
    assert_eq!(status(alice.clone(), path.clone()).await, 401);
    assert_eq!(status(bob.clone(), path.clone()).await, 200);
    assert_eq!(status(plain.clone(), path.clone()).await, 200);

    // Everything of the app, at once (no body); other apps' tokens are untouched.
    let resp = app
        .request_as(Method::POST, &expire, Some(&app.token), None)
        .await;
    assert_eq!(resp.status(), 204);
    assert_eq!(status(bob, path.clone()).await, 401);
    assert_eq!(status(plain, path.clone()).await, 401);
    assert_eq!(status(other, format!("/api/v1/app/{other_id}")).await, 200);
    // Tokens issued afterwards work.
    let fresh = mint(&app, &app_id, json!({"sessionId": "alice@example_1"})).await;
    assert_eq!(status(fresh, path).await, 200);
}

#[tokio::test]
async fn sources_applications_are_out_of_reach_of_portal_tokens() {
    let app = spawn_app().await;
    let src = app
        .post_ok(
            "/ingest/api/v1/source",
            &json!({"name": "s", "type": "generic-webhook", "config": {}}),
            201,
        )
        .await;
    let src_id = src["id"].as_str().unwrap();
    let src_app = app.get_ok(&format!("/api/v1/app/{src_id}")).await;
    let src_app_id = src_app["id"].as_str().unwrap();

    // No token is issued for it, by uid or by id.
    for key in [src_id, src_app_id] {
        let path = format!("/api/v1/auth/app-portal-access/{key}");
        let err = expect_json(app.post(&path, &json!({})).await, 403).await;
        assert!(err["detail"].as_str().unwrap().contains("source"), "{err}");
    }

    // A token that exists anyway (issued before this was refused) reaches nothing there.
    let now = sluice_core::now_millis();
    let token_id = sluice_core::ids::new_id(PORTAL_TOKEN_PREFIX, now);
    app.state
        .store
        .create_portal_token(PortalToken {
            id: token_id.clone(),
            org_id: sluice_server::auth::DEFAULT_ORG.into(),
            app_id: src_app_id.into(),
            session_id: None,
            created_at: now,
            valid_until: now + 3_600_000,
        })
        .await
        .unwrap();
    let token = issue_app_token(
        &app.state.jwt_secret,
        &AppToken {
            org_id: sluice_server::auth::DEFAULT_ORG,
            app_id: src_app_id,
            token_id: &token_id,
            capabilities: Capabilities::all(),
            issued_at: now / 1000,
            expires_at: now / 1000 + 3600,
        },
    );
    let ep_path = format!("/api/v1/app/{src_app_id}/endpoint");
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/app/{src_app_id}"), None),
        (Method::GET, ep_path.clone(), None),
        (
            Method::POST,
            ep_path.clone(),
            Some(json!({"url": "https://example.com/steal"})),
        ),
        (Method::GET, format!("/api/v1/app/{src_app_id}/msg"), None),
        (Method::GET, format!("/ingest/api/v1/source/{src_id}"), None),
    ] {
        let resp = app
            .request_as(method.clone(), &path, Some(&token), body.as_ref())
            .await;
        expect_json(resp, 403).await;
    }
    assert_eq!(
        app.get_ok(&ep_path).await["data"].as_array().unwrap().len(),
        0,
        "no forwarding endpoint was added"
    );
}
