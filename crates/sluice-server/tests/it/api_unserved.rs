//! Svix SDK routes Sluice does not serve answer 501 `not_implemented` naming the feature,
//! whether no route has the path or a served path has other methods; other unknown routes
//! stay 404 and other wrong methods 405.

use reqwest::Method;
use serde_json::json;
use sluice_server::api::unserved::UNSERVED;

use crate::helpers::{expect_json, spawn_app};

#[tokio::test]
async fn every_unserved_sdk_route_answers_501() {
    let app = spawn_app().await;
    let app_id = app.create_app_id("A").await;
    for (method, pattern, feature) in UNSERVED {
        // Real ids where the path has an app, placeholders elsewhere.
        let path: String = pattern
            .split('/')
            .map(|seg| match seg {
                "{app_id}" => app_id.clone(),
                s if s.starts_with('{') => "x1".to_string(),
                s => s.to_string(),
            })
            .collect::<Vec<_>>()
            .join("/");
        let method: Method = method.parse().unwrap();
        let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
        let resp = app
            .request_as(method.clone(), &path, Some(&app.token), body.as_ref())
            .await;
        let err = expect_json(resp, 501).await;
        assert_eq!(err["code"], "not_implemented", "{method} {path}");
        assert!(
            err["detail"].as_str().unwrap().contains(feature),
            "{method} {path}: {err}"
        );
    }
}

#[tokio::test]
async fn other_unknown_routes_and_methods_are_404_and_405() {
    let app = spawn_app().await;
    let typo = expect_json(app.get("/api/v1/aplication").await, 404).await;
    assert_eq!(
        (typo["code"].clone(), typo["detail"].clone()),
        (json!("not_found"), json!("No such route"))
    );
    let resp = app.put("/api/v1/app/a/msg", &json!({})).await;
    let err = expect_json(resp, 405).await;
    assert_eq!(err["code"], "method_not_allowed");
    // A served path keeps its own methods: GET of a message whose eventId happens to be
    // `expunge-all-contents` is an ordinary lookup.
    let app_id = app.create_app_id("A").await;
    let resp = app
        .get(&format!("/api/v1/app/{app_id}/msg/expunge-all-contents"))
        .await;
    let err = expect_json(resp, 404).await;
    assert_eq!(err["detail"], "Entity not found");
}
