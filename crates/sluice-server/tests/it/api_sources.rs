//! Ingest sources: CRUD with type and config (secrets never shown), unsupported types,
//! token rotation, and the source's endpoints through the ingest routes and the ordinary
//! application routes alike.

use serde_json::{json, Value};

use crate::helpers::{expect_json, spawn_app, TestApp};

const BASE: &str = "/ingest/api/v1/source";

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

async fn create(app: &TestApp, body: Value) -> Value {
    app.post_ok(BASE, &body, 201).await
}

#[tokio::test]
async fn source_crud_hides_secrets_and_echoes_the_rest() {
    let app = spawn_app().await;
    let secret = "whsec_stripe_secret_value_123";
    let resp = app
        .post(
            BASE,
            &json!({"name": "Stripe live", "uid": "stripe-live", "type": "stripe",
                    "config": {"secret": secret}, "metadata": {"team": "billing"}}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let text = resp.text().await.unwrap();
    assert!(!text.contains(secret), "secret leaked: {text}");
    let src: Value = serde_json::from_str(&text).unwrap();
    let src_id = id(&src);
    assert!(src_id.starts_with("src_"), "{src_id}");
    assert_eq!(src["uid"], "stripe-live");
    assert_eq!(src["type"], "stripe");
    assert_eq!(src["config"], json!({}));
    assert_eq!(src["metadata"], json!({"team": "billing"}));
    let url = src["ingestUrl"].as_str().unwrap().to_string();
    let prefix = format!("{}/ingest/", app.base_url);
    let token = url
        .strip_prefix(&prefix)
        .expect("ingest URL on the public base");
    assert_eq!(token.len(), 32);

    // Get by id and by uid; list.
    assert_eq!(app.get_ok(&format!("{BASE}/{src_id}")).await, src);
    assert_eq!(app.get_ok(&format!("{BASE}/stripe-live")).await, src);
    let cron = create(
        &app,
        json!({"name": "Nightly", "type": "cron",
               "config": {"schedule": "0 3 * * *", "payload": "{\"run\":true}"}}),
    )
    .await;
    assert_eq!(
        cron["ingestUrl"],
        Value::Null,
        "cron sources receive nothing"
    );
    assert_eq!(
        cron["config"],
        json!({"schedule": "0 3 * * *", "payload": "{\"run\":true}", "contentType": null})
    );
    let listed = app.get_ok(&format!("{BASE}?limit=1")).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["id"], src["id"]);
    assert_eq!(listed["done"], false);
    let rest = app
        .get_ok(&format!(
            "{BASE}?limit=1&iterator={}",
            listed["iterator"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rest["data"][0]["id"], cron["id"]);
    assert_eq!(rest["done"], true);

    // The source's application exists, named after it, with the source id as uid.
    let app_of = app.get_ok(&format!("/api/v1/app/{src_id}")).await;
    assert_eq!(app_of["name"], "Stripe live");
    assert_eq!(app_of["uid"], src_id.as_str());

    // The application goes only with its source.
    let resp = app.delete(&format!("/api/v1/app/{src_id}")).await;
    assert_eq!(resp.status(), 409);

    // PUT replaces name, metadata and config; the token (URL) is kept.
    let put = expect_json(
        app.put(
            &format!("{BASE}/stripe-live"),
            &json!({"name": "Stripe", "type": "stripe", "config": {"secret": "whsec_new"}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(put["name"], "Stripe");
    assert_eq!(put["metadata"], json!({}));
    assert_eq!(put["uid"], "stripe-live", "a PUT without uid keeps it");
    assert_eq!(put["ingestUrl"], src["ingestUrl"]);
    // PUT on an unknown uid creates.
    let created = expect_json(
        app.put(
            &format!("{BASE}/gh"),
            &json!({"name": "GitHub", "type": "github", "config": {"secret": "s3"}}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["uid"], "gh");

    // Uid conflicts are 409; delete is 204 and takes the application with it.
    let dup = app
        .post(
            BASE,
            &json!({"name": "x", "uid": "gh", "type": "github", "config": {"secret": "s"}}),
        )
        .await;
    assert_eq!(dup.status(), 409);
    assert_eq!(app.delete(&format!("{BASE}/gh")).await.status(), 204);
    assert_eq!(app.get(&format!("{BASE}/gh")).await.status(), 404);
    let gh_app = app.get(&format!("/api/v1/app/{}", id(&created))).await;
    assert_eq!(gh_app.status(), 404);
    assert_eq!(app.delete(&format!("{BASE}/gh")).await.status(), 404);
}

#[tokio::test]
async fn every_supported_type_is_accepted_and_the_rest_are_422() {
    let app = spawn_app().await;
    let whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let cases = [
        ("generic-webhook", json!({})),
        (
            "generic-webhook",
            json!({"auth": [{"type": "bearer", "token": "t"}], "idHeader": "x-id"}),
        ),
        ("svix", json!({"secret": whsec})),
        ("clerk", json!({"secret": whsec})),
        ("resend", json!({"secret": whsec})),
        ("stripe", json!({"secret": "whsec_x"})),
        ("github", json!({"secret": "s"})),
        ("shopify", json!({"secret": "s"})),
        ("slack", json!({"secret": "s"})),
        ("zoom", json!({"secret": "s"})),
        ("meta", json!({"secret": "s", "verifyToken": "v"})),
        ("paddle", json!({"secret": "pdl_s"})),
        ("linear", json!({"secret": "s"})),
        ("twilio", json!({"secret": "s"})),
        ("cron", json!({"schedule": "*/5 * * * *", "payload": "{}"})),
    ];
    for (ty, config) in cases {
        let body = json!({"name": ty, "type": ty, "config": config});
        let resp = app.post(BASE, &body).await;
        let status = resp.status().as_u16();
        assert_eq!(status, 201, "{ty}: {}", resp.text().await.unwrap());
    }
    let bad = [
        ("hubspot", json!({"secret": "s"}), "type"),
        ("nonsense", json!({}), "type"),
        ("stripe", json!({}), "config.secret"),
        ("github", json!({}), "config.secret"),
        ("svix", json!({"secret": "not-a-whsec"}), "config"),
        ("meta", json!({"secret": "s"}), "config.verifyToken"),
        (
            "cron",
            json!({"schedule": "every day", "payload": "{}"}),
            "config",
        ),
        ("cron", json!({"schedule": "* * * * *"}), "config"),
        (
            "generic-webhook",
            json!({"allowedIps": ["nope"]}),
            "config.allowedIps",
        ),
        ("generic-webhook", json!({"idJsonPointer": "id"}), "config"),
    ];
    for (ty, config, field) in bad {
        let resp = app
            .post(BASE, &json!({"name": "x", "type": ty, "config": config}))
            .await;
        let body = expect_json(resp, 422).await;
        let loc = body["detail"][0]["loc"].clone();
        assert_eq!(loc, json!(["body", field]), "{ty} {config}: {body}");
    }
    // Generic credentials are listed without their values.
    let generic = create(
        &app,
        json!({"name": "g", "type": "generic-webhook", "config": {
            "auth": [{"type": "basic", "username": "u", "password": "pw-secret"},
                     {"type": "header", "name": "x-key", "value": "hv-secret"}],
            "idJsonPointer": "/id", "allowedIps": ["10.0.0.0/8"]}}),
    )
    .await;
    assert_eq!(
        generic["config"],
        json!({"auth": [{"type": "basic", "username": "u"}, {"type": "header", "name": "x-key"}],
               "idJsonPointer": "/id", "allowedIps": ["10.0.0.0/8"]})
    );
}

#[tokio::test]
async fn token_rotation_keeps_three_old_urls_at_most() {
    let app = spawn_app().await;
    let src = create(
        &app,
        json!({"name": "s", "type": "github", "config": {"secret": "s"}}),
    )
    .await;
    let path = format!("{BASE}/{}/token/rotate", id(&src));
    let mut urls = vec![src["ingestUrl"].as_str().unwrap().to_string()];
    for _ in 0..3 {
        let r = app.post_ok(&path, &json!({}), 200).await;
        let url = r["ingestUrl"].as_str().unwrap().to_string();
        assert!(!urls.contains(&url));
        urls.push(url);
    }
    let now = app.get_ok(&format!("{BASE}/{}", id(&src))).await;
    assert_eq!(now["ingestUrl"].as_str().unwrap(), urls[3]);
    let refused = expect_json(app.post(&path, &json!({})).await, 400).await;
    assert_eq!(refused["code"], "limit_reached");
}

#[tokio::test]
async fn source_endpoints_are_the_source_apps_endpoints() {
    let app = spawn_app().await;
    let src = create(
        &app,
        json!({"name": "s", "uid": "my-src", "type": "github", "config": {"secret": "s"}}),
    )
    .await;
    let eps = "/ingest/api/v1/source/my-src/endpoint";
    let ep = app
        .post_ok(
            eps,
            &json!({"url": "https://example.com/in", "uid": "dest", "description": "d",
                    "metadata": {"a": "b"}, "headers": {"x-dest": "1"}}),
            201,
        )
        .await;
    assert_eq!(ep["url"], "https://example.com/in");
    let ep_id = id(&ep);
    assert_eq!(
        app.get_ok(&format!("{eps}/dest")).await["id"],
        ep_id.as_str()
    );
    let listed = app.get_ok(eps).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    // The same endpoint through the application routes.
    let via_app = app
        .get_ok(&format!("/api/v1/app/{}/endpoint/{ep_id}", id(&src)))
        .await;
    assert_eq!(via_app, ep);

    let put = expect_json(
        app.put(
            &format!("{eps}/dest"),
            &json!({"url": "https://example.com/v2", "uid": "dest"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(put["url"], "https://example.com/v2");

    let secret = app.get_ok(&format!("{eps}/dest/secret")).await;
    let key = secret["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("whsec_"));
    let rotated = app
        .post_ok(&format!("{eps}/dest/secret/rotate"), &json!({}), 200)
        .await;
    assert_ne!(rotated["key"].as_str().unwrap(), key);
    assert_eq!(app.get_ok(&format!("{eps}/dest/secret")).await, rotated);

    let headers = app.get_ok(&format!("{eps}/dest/headers")).await;
    assert_eq!(
        headers,
        json!({"headers": {"x-dest": "1"}, "sensitive": []})
    );
    let resp = app
        .put(
            &format!("{eps}/dest/headers"),
            &json!({"headers": {"x-other": "2"}}),
        )
        .await;
    assert_eq!(resp.status(), 204);
    let resp = app
        .patch(
            &format!("{eps}/dest/headers"),
            &json!({"headers": {"x-third": "3"}}),
        )
        .await;
    assert_eq!(resp.status(), 204);
    assert_eq!(
        app.get_ok(&format!("{eps}/dest/headers")).await["headers"],
        json!({"x-other": "2", "x-third": "3"})
    );

    assert_eq!(app.delete(&format!("{eps}/dest")).await.status(), 204);
    assert_eq!(app.get(&format!("{eps}/dest")).await.status(), 404);
    assert_eq!(
        app.get("/ingest/api/v1/source/nope/endpoint")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn sources_need_an_org_token() {
    let app = spawn_app().await;
    let src = create(
        &app,
        json!({"name": "s", "type": "github", "config": {"secret": "s"}}),
    )
    .await;
    let resp = app.request_as(reqwest::Method::GET, BASE, None, None).await;
    assert_eq!(resp.status(), 401);
    // No portal token for the source's own application (see api_portal); one for an
    // ordinary application reaches no source route either.
    let refused = app
        .post(
            &format!("/api/v1/auth/app-portal-access/{}", id(&src)),
            &json!({}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let other = app.create_app("ordinary").await;
    let portal = app
        .post_ok(
            &format!("/api/v1/auth/app-portal-access/{}", id(&other)),
            &json!({}),
            200,
        )
        .await;
    let token = portal["token"].as_str().unwrap();
    let resp = app
        .request_as(reqwest::Method::GET, BASE, Some(token), None)
        .await;
    assert_eq!(resp.status(), 403);
    let resp = app
        .request_as(
            reqwest::Method::GET,
            &format!("{BASE}/{}/endpoint", id(&src)),
            Some(token),
            None,
        )
        .await;
    assert_eq!(resp.status(), 403);
}
