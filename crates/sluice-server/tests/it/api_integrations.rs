//! Integrations (`/api/v1/app/{app}/integration`): the Svix SDK's CRUD and key routes, keys
//! sealed at rest and shown only by the key routes, org tokens only.

use reqwest::Method;
use serde_json::{json, Value};
use sluice_server::auth::issue_org_token;

use crate::helpers::{expect_json, spawn_app};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn integrations_crud_and_keys() {
    let app = spawn_app().await;
    let app_id = id(&app.create_app("A").await);
    let base = format!("/api/v1/app/{app_id}/integration");

    let created = app
        .post_ok(
            &base,
            &json!({"name": "Zapier", "featureFlags": ["beta"]}),
            201,
        )
        .await;
    let integ = id(&created);
    assert!(integ.starts_with("integ_") && integ.len() == 33, "{integ}");
    assert_eq!(created["name"], "Zapier");
    assert_eq!(created["featureFlags"], json!(["beta"]));
    assert!(created["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(
        created.get("key").is_none(),
        "the key is not in IntegrationOut"
    );
    let second = app.post_ok(&base, &json!({"name": "Make"}), 201).await;
    assert_eq!(second["featureFlags"], json!([]));

    let one = format!("{base}/{integ}");
    assert_eq!(app.get_ok(&one).await, created);
    let page = app.get_ok(&format!("{base}?limit=1")).await;
    assert_eq!(
        (page["data"][0]["id"].clone(), page["done"].clone()),
        (json!(integ), json!(false))
    );
    let newest = app.get_ok(&format!("{base}?order=descending")).await;
    assert_eq!(newest["data"][0]["id"], second["id"]);

    let updated = expect_json(
        app.put(
            &one,
            &json!({"name": "Zapier EU", "featureFlags": ["beta", "gamma"]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (updated["name"].clone(), updated["featureFlags"].clone()),
        (json!("Zapier EU"), json!(["beta", "gamma"]))
    );
    assert_eq!(app.get_ok(&one).await["name"], "Zapier EU");

    // The key: shown by its own routes, rotated (the old one revoked), sealed at rest.
    let key = app.get_ok(&format!("{one}/key")).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(key.starts_with("integsk_") && key.len() > 30, "{key}");
    let rotated = app
        .post_ok(&format!("{one}/key/rotate"), &json!({}), 200)
        .await;
    let new_key = rotated["key"].as_str().unwrap().to_string();
    assert!(new_key.starts_with("integsk_") && new_key != key);
    assert_eq!(
        app.get_ok(&format!("{one}/key")).await["key"],
        json!(new_key)
    );
    let row = app
        .state
        .store
        .get_integration(&app_id, &integ)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !row.key.windows(8).any(|w| w == b"integsk_"),
        "the stored key is sealed"
    );
    assert_eq!(app.state.secrets.open(&row.key).unwrap(), new_key);

    assert_eq!(app.delete(&one).await.status(), 204);
    assert_eq!(app.get(&one).await.status(), 404);
    assert_eq!(app.get(&format!("{one}/key")).await.status(), 404);
    assert_eq!(app.delete(&one).await.status(), 404);
}

#[tokio::test]
async fn integrations_need_an_org_token_of_the_app_and_valid_bodies() {
    let app = spawn_app().await;
    let app_id = id(&app.create_app("A").await);
    let base = format!("/api/v1/app/{app_id}/integration");
    let integ = id(&app.post_ok(&base, &json!({"name": "Z"}), 201).await);

    let access = app
        .post_ok(
            &format!("/api/v1/auth/app-portal-access/{app_id}"),
            &json!({}),
            200,
        )
        .await;
    let portal = access["token"].as_str().unwrap().to_string();
    for (method, path) in [
        (Method::GET, base.clone()),
        (Method::GET, format!("{base}/{integ}/key")),
        (Method::POST, format!("{base}/{integ}/key/rotate")),
    ] {
        let resp = app
            .request_as(method, &path, Some(&portal), Some(&json!({})))
            .await;
        assert_eq!(resp.status(), 403, "{path} with an app-portal token");
    }
    let other_org = issue_org_token(&app.state.jwt_secret, "org_other");
    let resp = app
        .request_as(
            Method::GET,
            &format!("{base}/{integ}"),
            Some(&other_org),
            None,
        )
        .await;
    assert_eq!(resp.status(), 404, "another org does not see the app");
    let other_app = id(&app.create_app("B").await);
    let resp = app
        .get(&format!("/api/v1/app/{other_app}/integration/{integ}"))
        .await;
    assert_eq!(resp.status(), 404, "an integration belongs to one app");

    for bad in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "Z", "featureFlags": ["no spaces"]}),
    ] {
        let resp = app.post(&base, &bad).await;
        assert_eq!(resp.status(), 422, "{bad}");
    }

    // Deleting the application takes its integrations along.
    assert_eq!(
        app.delete(&format!("/api/v1/app/{app_id}")).await.status(),
        204
    );
    let gone = app
        .state
        .store
        .get_integration(&app_id, &integ)
        .await
        .unwrap();
    assert!(gone.is_none());
}
