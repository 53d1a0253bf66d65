//! Event types: create (409 on a live duplicate), get, upsert, patch, archive, expunge, and
//! the list's `include_archived` / `with_content` / paging by name.

use serde_json::json;

use crate::helpers::{expect_json, spawn_app};

#[tokio::test]
async fn event_type_lifecycle() {
    let app = spawn_app().await;
    let schema = json!({"1": {"type": "object", "examples": [{"id": 1}]}});
    let et = app
        .post_ok(
            "/api/v1/event-type",
            &json!({"name": "user.created", "description": "A user", "schemas": schema}),
            201,
        )
        .await;
    assert_eq!(
        (
            et["name"].clone(),
            et["archived"].clone(),
            et["deprecated"].clone()
        ),
        (json!("user.created"), json!(false), json!(false))
    );
    assert_eq!(et["schemas"], schema);
    assert!(et["createdAt"].is_string() && et["updatedAt"].is_string());

    let dup = app
        .post_ok(
            "/api/v1/event-type",
            &json!({"name": "user.created", "description": "again"}),
            409,
        )
        .await;
    assert_eq!(dup["code"], "conflict");

    let got = app.get_ok("/api/v1/event-type/user.created").await;
    assert_eq!(got["description"], "A user");
    expect_json(app.get("/api/v1/event-type/nope").await, 404).await;

    let put = expect_json(
        app.put(
            "/api/v1/event-type/user.created",
            &json!({"description": "Put"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (put["description"].clone(), put["schemas"].clone()),
        (json!("Put"), json!(null))
    );
    let created = expect_json(
        app.put(
            "/api/v1/event-type/user.deleted",
            &json!({"description": "New"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["name"], "user.deleted");
    expect_json(
        app.put(
            "/api/v1/event-type/a.b",
            &json!({"name": "c.d", "description": "x"}),
        )
        .await,
        422,
    )
    .await;

    let patched = expect_json(
        app.patch(
            "/api/v1/event-type/user.created",
            &json!({"deprecated": true, "featureFlag": "beta"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            patched["description"].clone(),
            patched["deprecated"].clone()
        ),
        (json!("Put"), json!(true))
    );
    assert_eq!(
        (
            patched["featureFlag"].clone(),
            patched["featureFlags"].clone()
        ),
        (json!("beta"), json!(["beta"]))
    );

    // DELETE archives: hidden from the default list, still gettable.
    assert_eq!(
        app.delete("/api/v1/event-type/user.created").await.status(),
        204
    );
    let names = |v: serde_json::Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(app.get_ok("/api/v1/event-type").await),
        vec!["user.deleted"]
    );
    let all = app.get_ok("/api/v1/event-type?include_archived=true").await;
    assert_eq!(names(all.clone()), vec!["user.created", "user.deleted"]);
    assert_eq!(all["data"][0]["archived"], true);
    assert_eq!(
        app.get_ok("/api/v1/event-type/user.created").await["archived"],
        true
    );

    // Creating an archived name again un-archives it.
    let revived = app
        .post_ok(
            "/api/v1/event-type",
            &json!({"name": "user.created", "description": "Back"}),
            201,
        )
        .await;
    assert_eq!(
        (revived["archived"].clone(), revived["description"].clone()),
        (json!(false), json!("Back"))
    );

    // Expunge removes it for good.
    assert_eq!(
        app.delete("/api/v1/event-type/user.created?expunge=true")
            .await
            .status(),
        204
    );
    expect_json(app.get("/api/v1/event-type/user.created").await, 404).await;
    expect_json(app.delete("/api/v1/event-type/user.created").await, 404).await;
}

#[tokio::test]
async fn list_content_and_paging_by_name() {
    let app = spawn_app().await;
    let schema = json!({"1": {"type": "object"}});
    for i in 0..5 {
        app.post_ok(
            "/api/v1/event-type",
            &json!({"name": format!("t.e{i}"), "description": "d", "schemas": schema}),
            201,
        )
        .await;
    }
    let plain = app.get_ok("/api/v1/event-type").await;
    assert_eq!(
        plain["data"][0]["schemas"],
        json!(null),
        "schemas only with with_content=true"
    );
    let full = app.get_ok("/api/v1/event-type?with_content=true").await;
    assert_eq!(full["data"][0]["schemas"], schema);

    let mut seen = Vec::new();
    let mut it: Option<String> = None;
    loop {
        let q = it
            .as_ref()
            .map(|i| format!("&iterator={i}"))
            .unwrap_or_default();
        let page = app.get_ok(&format!("/api/v1/event-type?limit=2{q}")).await;
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap().to_string()),
        );
        it = page["iterator"].as_str().map(String::from);
        if page["done"] == true {
            break;
        }
    }
    assert_eq!(seen, (0..5).map(|i| format!("t.e{i}")).collect::<Vec<_>>());
}

#[tokio::test]
async fn event_type_validation() {
    let app = spawn_app().await;
    let err = app
        .post_ok(
            "/api/v1/event-type",
            &json!({"name": "bad name!", "description": "x"}),
            422,
        )
        .await;
    assert_eq!(err["detail"][0]["loc"], json!(["body", "name"]));
    app.post_ok("/api/v1/event-type", &json!({"description": "x"}), 422)
        .await;
    app.post_ok("/api/v1/event-type", &json!({"name": "a.b"}), 422)
        .await;
    app.post_ok(
        "/api/v1/event-type",
        &json!({"name": "a.b", "description": "x", "schemas": [1]}),
        422,
    )
    .await;
}
