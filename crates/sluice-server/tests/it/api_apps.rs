//! Applications: CRUD by id and uid, `get_if_exists`, upsert, patch, pagination in both
//! directions, and org isolation.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{json, Value};
use sluice_server::auth::issue_org_token;

use crate::helpers::{expect_json, spawn_app};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn application_crud_by_id_and_uid() {
    let app = spawn_app().await;
    let created = app
        .post_ok("/api/v1/app", &json!({"name": "Acme", "uid": "acme", "metadata": {"tier": "gold"}, "throttleRate": 7}), 201)
        .await;
    let app_id = id(&created);
    assert!(app_id.starts_with("app_"));
    assert_eq!(created["uid"], "acme");
    assert_eq!(created["metadata"], json!({"tier": "gold"}));
    assert_eq!(created["throttleRate"], 7);
    assert!(created["createdAt"].as_str().unwrap().ends_with('Z'));

    for key in [app_id.as_str(), "acme"] {
        let got = app.get_ok(&format!("/api/v1/app/{key}")).await;
        assert_eq!(
            (id(&got), got["name"].clone()),
            (app_id.clone(), json!("Acme"))
        );
    }

    // PUT replaces: fields left out are reset.
    let put = expect_json(
        app.put(
            "/api/v1/app/acme",
            &json!({"name": "Acme 2", "uid": "acme"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (id(&put), put["name"].clone(), put["metadata"].clone()),
        (app_id.clone(), json!("Acme 2"), json!({}))
    );
    assert_eq!(put["throttleRate"], Value::Null);

    // PATCH changes only what it names; null clears the uid.
    let patched = expect_json(
        app.patch(
            &format!("/api/v1/app/{app_id}"),
            &json!({"metadata": {"a": "b"}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (patched["name"].clone(), patched["metadata"].clone()),
        (json!("Acme 2"), json!({"a": "b"}))
    );
    let patched = expect_json(
        app.patch(&format!("/api/v1/app/{app_id}"), &json!({"uid": null}))
            .await,
        200,
    )
    .await;
    assert_eq!(patched["uid"], Value::Null);
    expect_json(app.get("/api/v1/app/acme").await, 404).await;
    let bad = expect_json(
        app.patch(&format!("/api/v1/app/{app_id}"), &json!({"name": null}))
            .await,
        422,
    )
    .await;
    assert_eq!(bad["detail"][0]["loc"], json!(["body", "name"]));

    let resp = app.delete(&format!("/api/v1/app/{app_id}")).await;
    assert_eq!(resp.status(), 204);
    let gone = expect_json(app.get(&format!("/api/v1/app/{app_id}")).await, 404).await;
    assert_eq!(gone["code"], "not_found");
    expect_json(app.delete(&format!("/api/v1/app/{app_id}")).await, 404).await;
}

#[tokio::test]
async fn create_get_if_exists_and_uid_conflicts() {
    let app = spawn_app().await;
    let first = app
        .post_ok("/api/v1/app", &json!({"name": "First", "uid": "same"}), 201)
        .await;
    let again = app
        .post_ok(
            "/api/v1/app?get_if_exists=true",
            &json!({"name": "Second", "uid": "same"}),
            200,
        )
        .await;
    assert_eq!(
        (id(&again), again["name"].clone()),
        (id(&first), json!("First"))
    );
    let conflict = app
        .post_ok("/api/v1/app", &json!({"name": "Third", "uid": "same"}), 409)
        .await;
    assert_eq!(conflict["code"], "conflict");
    // Without a uid, get_if_exists simply creates.
    app.post_ok(
        "/api/v1/app?get_if_exists=true",
        &json!({"name": "No uid"}),
        201,
    )
    .await;
}

#[tokio::test]
async fn upsert_creates_with_the_path_uid() {
    let app = spawn_app().await;
    let created = expect_json(
        app.put("/api/v1/app/tenant-9", &json!({"name": "Nine"}))
            .await,
        201,
    )
    .await;
    assert_eq!(created["uid"], "tenant-9");
    assert_eq!(id(&app.get_ok("/api/v1/app/tenant-9").await), id(&created));
    // A different uid in the body than in the path cannot create.
    expect_json(
        app.put(
            "/api/v1/app/tenant-10",
            &json!({"name": "Ten", "uid": "other"}),
        )
        .await,
        422,
    )
    .await;
    // Nor can a client choose an id.
    let fake = "app_2Z7Qv3n8ZfKx9Y1aBcDeFgHiJkL";
    expect_json(
        app.put(&format!("/api/v1/app/{fake}"), &json!({"name": "x"}))
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn application_validation_is_422_with_locations() {
    let app = spawn_app().await;
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "x", "uid": "has space"}), "uid"),
        (json!({"name": "x", "uid": "app_looks_like_an_id"}), "uid"),
    ] {
        let err = app.post_ok("/api/v1/app", &body, 422).await;
        assert_eq!(err["detail"][0]["loc"], json!(["body", field]), "{body}");
        assert!(err["detail"][0]["msg"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
        assert!(err["detail"][0]["type"].is_string());
    }
    // Missing and mistyped fields are 422 too, located when serde says where.
    let err = app.post_ok("/api/v1/app", &json!({}), 422).await;
    assert_eq!(err["detail"][0]["loc"], json!(["body", "name"]));
    app.post_ok("/api/v1/app", &json!({"name": 5}), 422).await;
}

#[tokio::test]
async fn pagination_walks_forward_and_back_without_gaps() {
    let app = spawn_app().await;
    let mut all = Vec::new();
    for i in 0..120 {
        all.push(id(&app.create_app(&format!("app {i}")).await));
    }
    all.sort();

    // Forward: 50, 50, 20.
    let mut pages: Vec<Value> = Vec::new();
    let mut iterator: Option<String> = None;
    loop {
        let path = match &iterator {
            None => "/api/v1/app?limit=50".to_string(),
            Some(it) => format!("/api/v1/app?limit=50&iterator={it}"),
        };
        let page = app.get_ok(&path).await;
        let done = page["done"].as_bool().unwrap();
        iterator = page["iterator"].as_str().map(String::from);
        pages.push(page);
        if done {
            break;
        }
        assert!(pages.len() < 10, "pagination does not terminate");
    }
    let sizes: Vec<usize> = pages
        .iter()
        .map(|p| p["data"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![50, 50, 20]);
    let ids: Vec<String> = pages
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap().iter().map(id))
        .collect();
    assert_eq!(
        ids, all,
        "forward walk must list every app once, in id order"
    );
    assert_eq!(
        pages
            .iter()
            .map(|p| p["done"].as_bool().unwrap())
            .collect::<Vec<_>>(),
        vec![false, false, true]
    );

    // Back from the last page via prevIterator: the two earlier pages, exactly.
    let prev = pages[2]["prevIterator"].as_str().unwrap().to_string();
    assert!(prev.starts_with('-'));
    let back1 = app
        .get_ok(&format!("/api/v1/app?limit=50&iterator={prev}"))
        .await;
    assert_eq!(
        back1["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect::<Vec<_>>(),
        all[50..100].to_vec()
    );
    assert_eq!(back1["done"], false);
    let prev = back1["prevIterator"].as_str().unwrap().to_string();
    let back2 = app
        .get_ok(&format!("/api/v1/app?limit=50&iterator={prev}"))
        .await;
    assert_eq!(
        back2["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect::<Vec<_>>(),
        all[..50].to_vec()
    );
    assert_eq!(back2["done"], true, "nothing before the first page");

    // Descending order walks the same set in reverse.
    let desc = app.get_ok("/api/v1/app?limit=250&order=descending").await;
    let mut rev = all.clone();
    rev.reverse();
    assert_eq!(
        desc["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect::<Vec<_>>(),
        rev
    );
    assert_eq!(desc["done"], true);
}

#[tokio::test]
async fn pagination_limits_and_iterators_are_validated() {
    let app = spawn_app().await;
    for q in [
        "limit=0",
        "limit=251",
        "limit=abc",
        "order=up",
        "iterator=not-an-id",
    ] {
        let err = expect_json(app.get(&format!("/api/v1/app?{q}")).await, 422).await;
        assert_eq!(err["detail"][0]["loc"][0], "query", "{q}");
    }
    let page = app.get_ok("/api/v1/app?limit=250").await;
    assert_eq!(
        (page["data"].clone(), page["done"].clone()),
        (json!([]), json!(true))
    );
    assert!(
        page.get("iterator").is_some(),
        "iterator must be present even when null"
    );
}

#[tokio::test]
async fn organisations_are_isolated() {
    let app = spawn_app().await;
    let a = app
        .post_ok(
            "/api/v1/app",
            &json!({"name": "A", "uid": "shared-uid"}),
            201,
        )
        .await;
    let org_b = issue_org_token(&app.state.jwt_secret, "org_B");
    let b_get = |path: String| {
        let app = &app;
        let org_b = org_b.clone();
        async move { app.request_as(Method::GET, &path, Some(&org_b), None).await }
    };
    expect_json(b_get(format!("/api/v1/app/{}", id(&a))).await, 404).await;
    expect_json(b_get("/api/v1/app/shared-uid".into()).await, 404).await;
    expect_json(b_get(format!("/api/v1/app/{}/endpoint", id(&a))).await, 404).await;
    let listed = expect_json(b_get("/api/v1/app".into()).await, 200).await;
    assert_eq!(listed["data"], json!([]));
    // The same uid is free in another org.
    let b = expect_json(
        app.request_as(
            Method::POST,
            "/api/v1/app",
            Some(&org_b),
            Some(&json!({"name": "B", "uid": "shared-uid"})),
        )
        .await,
        201,
    )
    .await;
    assert_ne!(id(&a), id(&b));
    let ids: HashSet<String> = app.get_ok("/api/v1/app").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(ids, HashSet::from([id(&a)]));
}

#[tokio::test]
async fn concurrent_get_or_create_yields_one_app() {
    let app = spawn_app().await;
    let app = &app;
    let calls = (0..8).map(|i| async move {
        let body = json!({"name": format!("racer {i}"), "uid": "raced"});
        let resp = app.post("/api/v1/app?get_if_exists=true", &body).await;
        let status = resp.status().as_u16();
        (status, resp.json::<Value>().await.unwrap())
    });
    let results = futures::future::join_all(calls).await;
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 201),
        "{statuses:?}"
    );
    let ids: HashSet<String> = results.iter().map(|(_, v)| id(v)).collect();
    assert_eq!(ids.len(), 1);
}
