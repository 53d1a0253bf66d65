//! The operational webhook endpoint routes as the Svix SDK calls them: CRUD, upsert, the
//! secret and headers routes, and who may reach what.

use reqwest::Method;
use serde_json::{json, Value};
use sluice_server::auth::{issue_org_token, DEFAULT_ORG};
use sluice_server::ops::operational::MANAGEMENT_ORG;

use crate::helpers::{expect_json, spawn_app, Receiver};
use crate::opwebhooks_common::*;

#[tokio::test]
async fn crud_upsert_secret_and_headers_follow_the_sdk() {
    let app = spawn_app().await;
    // Nothing yet: an empty list, and 404s.
    let listed = app.get_ok(OP).await;
    assert_eq!(
        (listed["data"].clone(), listed["done"].clone()),
        (json!([]), json!(true))
    );
    assert_eq!(app.get(&format!("{OP}/ep_nope")).await.status(), 404);
    assert_eq!(app.get(&format!("{OP}/ep_nope/secret")).await.status(), 404);

    let rx = Receiver::ok().await;
    let body = json!({
        "url": rx.url, "description": "pager", "uid": "pager", "disabled": true,
        "throttleRate": 5, "metadata": {"team": "sre"}, "eventTypes": ["endpoint.disabled"],
    });
    let ep = app.post_ok(OP, &body, 201).await;
    assert_eq!(ep["uid"], "pager");
    assert_eq!(ep["description"], "pager");
    assert_eq!(
        (ep["disabled"].clone(), ep["throttleRate"].clone()),
        (json!(true), json!(5))
    );
    assert_eq!(ep["rateLimit"], 5);
    assert_eq!(ep["metadata"], json!({"team": "sre"}));
    assert_eq!(ep["eventTypes"], json!(["endpoint.disabled"]));
    assert!(ep["createdAt"].is_string() && ep["updatedAt"].is_string());
    assert!(ep.get("secret").is_none());
    let id = ep["id"].as_str().unwrap();
    assert_eq!(app.get_ok(&format!("{OP}/pager")).await["id"], id, "by uid");

    // Upsert: replaces (200), or creates with the path key as uid (201).
    let put = json!({"url": rx.url, "description": "replaced"});
    let replaced = expect_json(app.put(&format!("{OP}/{id}"), &put).await, 200).await;
    assert_eq!(replaced["description"], "replaced");
    assert_eq!(replaced["disabled"], false);
    assert_eq!(replaced["eventTypes"], Value::Null);
    let created = expect_json(app.put(&format!("{OP}/second"), &put).await, 201).await;
    assert_eq!(created["uid"], "second");
    let unknown_id = sluice_core::ids::new_id(sluice_core::ids::ENDPOINT, 0);
    let resp = app.put(&format!("{OP}/{unknown_id}"), &put).await;
    assert_eq!(resp.status(), 404, "an id is not a uid");

    // Pagination as for any list.
    let page = app.get_ok(&format!("{OP}?limit=1")).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["done"], false);
    let iter = page["iterator"].as_str().unwrap();
    let rest = app.get_ok(&format!("{OP}?limit=1&iterator={iter}")).await;
    assert_eq!(rest["data"][0]["uid"], "second");

    // Secret: readable, rotatable (204), the rotated key is the current one.
    let secret = app.get_ok(&format!("{OP}/{id}/secret")).await["key"].clone();
    assert!(secret.as_str().unwrap().starts_with("whsec_"));
    let resp = app
        .post(&format!("{OP}/{id}/secret/rotate"), &json!({}))
        .await;
    assert_eq!(resp.status(), 204);
    let rotated = app.get_ok(&format!("{OP}/{id}/secret")).await["key"].clone();
    assert_ne!(rotated, secret);

    // Headers: set, read back (credentials withheld), refused when invalid.
    let h = json!({"headers": {"X-Team": "sre", "Authorization": "Bearer t"}});
    assert_eq!(
        app.put(&format!("{OP}/{id}/headers"), &h).await.status(),
        204
    );
    let got = app.get_ok(&format!("{OP}/{id}/headers")).await;
    assert_eq!(got["headers"], json!({"X-Team": "sre"}));
    assert_eq!(got["sensitive"], json!(["Authorization"]));
    let bad = json!({"headers": {"Host": "x"}});
    assert_eq!(
        app.put(&format!("{OP}/{id}/headers"), &bad).await.status(),
        422
    );

    // Field rules are those of endpoints.
    let resp = app.post(OP, &json!({"url": "ftp://x"})).await;
    expect_json(resp, 422).await;

    assert_eq!(app.delete(&format!("{OP}/{id}")).await.status(), 204);
    assert_eq!(app.get(&format!("{OP}/{id}")).await.status(), 404);
    assert_eq!(app.delete(&format!("{OP}/{id}")).await.status(), 404);
}

#[tokio::test]
async fn operational_endpoints_are_out_of_reach_of_the_app_api_and_other_orgs() {
    let app = spawn_app().await;
    let op = op_endpoint(&app, &app.token, json!({})).await;
    let customer_app = app.create_app_id("Acme").await;

    // The operational application is in the management org: the customer's app list does
    // not show it, and its id reaches nothing through `/api/v1/app`.
    let mgmt = issue_org_token(&app.state.jwt_secret, MANAGEMENT_ORG);
    let resp = app
        .request_as(
            Method::GET,
            &format!("/api/v1/app/{DEFAULT_ORG}"),
            Some(&mgmt),
            None,
        )
        .await;
    let op_app = expect_json(resp, 200).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let apps = app.get_ok("/api/v1/app").await;
    let ids: Vec<&str> = apps["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [customer_app.as_str()]);
    assert_eq!(
        app.get(&format!("/api/v1/app/{op_app}")).await.status(),
        404
    );
    let eps = format!("/api/v1/app/{op_app}/endpoint/{}", op.id);
    assert_eq!(app.get(&eps).await.status(), 404);
    assert_eq!(
        app.get(&format!("/api/v1/app/{DEFAULT_ORG}"))
            .await
            .status(),
        404
    );

    // Another org sees none of them.
    let other = issue_org_token(&app.state.jwt_secret, "org_other");
    let resp = app.request_as(Method::GET, OP, Some(&other), None).await;
    assert_eq!(expect_json(resp, 200).await["data"], json!([]));
    for path in [format!("{OP}/{}", op.id), format!("{OP}/{}/secret", op.id)] {
        let resp = app.request_as(Method::GET, &path, Some(&other), None).await;
        assert_eq!(resp.status(), 404, "{path}");
    }
    let resp = app
        .request_as(
            Method::DELETE,
            &format!("{OP}/{}", op.id),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(resp.status(), 404);

    // App-portal tokens get 403, as on every org-level route.
    let access = app
        .post_ok(
            &format!("/api/v1/auth/app-portal-access/{customer_app}"),
            &json!({}),
            200,
        )
        .await;
    let portal = access["token"].as_str().unwrap();
    let resp = app.request_as(Method::GET, OP, Some(portal), None).await;
    assert_eq!(resp.status(), 403);
    let body = json!({"url": "https://example.com"});
    let resp = app
        .request_as(Method::POST, OP, Some(portal), Some(&body))
        .await;
    assert_eq!(resp.status(), 403);
    // And the management org has no operational webhooks of its own.
    let resp = app
        .request_as(Method::POST, OP, Some(&mgmt), Some(&body))
        .await;
    assert_eq!(resp.status(), 403);
}
