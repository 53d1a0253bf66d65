//! Concurrent changes of one endpoint all survive: PATCHes of different fields, a header
//! change and a secret rotation sent at once each keep what the others set (each is applied
//! to the endpoint as stored when it is written, not to a copy read before).

use futures::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{expect_json, spawn_app, TestApp};

/// Rounds of concurrent changes; the lost update they would expose needs two requests to
/// interleave, so several rounds make it all but certain to show if it were possible.
const ROUNDS: usize = 5;

/// One PATCH body per field, each touching only its field, for round `r`.
fn patches(r: usize) -> Vec<Value> {
    vec![
        json!({"description": format!("desc {r}")}),
        json!({"uid": format!("uid-{r}")}),
        json!({"throttleRate": 10 + r}),
        json!({"channels": [format!("ch-{r}")]}),
        json!({"url": format!("https://example.com/hook/{r}")}),
        json!({"version": 2 + r}),
        json!({"metadata": {"round": r.to_string()}}),
        json!({"disabled": true}),
    ]
}

async fn create_endpoint(app: &TestApp, app_id: &str) -> String {
    app.create_endpoint(app_id, "https://example.com/hook")
        .await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn concurrent_patches_of_different_fields_all_survive() {
    let app = spawn_app().await;
    let app_id = app.create_app_id("concurrent").await;
    for r in 0..ROUNDS {
        let ep_id = create_endpoint(&app, &app_id).await;
        let path = format!("/api/v1/app/{app_id}/endpoint/{ep_id}");
        let sent = patches(r)
            .into_iter()
            .map(|body| {
                let path = path.clone();
                let app = &app;
                async move { expect_json(app.patch(&path, &body).await, 200).await }
            })
            .collect::<Vec<_>>();
        join_all(sent).await;

        let ep = app.get_ok(&path).await;
        let got = json!({
            "description": ep["description"],
            "uid": ep["uid"],
            "throttleRate": ep["throttleRate"],
            "channels": ep["channels"],
            "url": ep["url"],
            "version": ep["version"],
            "metadata": ep["metadata"],
            "disabled": ep["disabled"],
        });
        let want = json!({
            "description": format!("desc {r}"),
            "uid": format!("uid-{r}"),
            "throttleRate": 10 + r,
            "channels": [format!("ch-{r}")],
            "url": format!("https://example.com/hook/{r}"),
            "version": 2 + r,
            "metadata": {"round": r.to_string()},
            "disabled": true,
        });
        assert_eq!(got, want, "round {r}: a concurrent PATCH was lost");
    }
}

#[tokio::test]
async fn a_patch_a_header_change_and_a_rotation_at_once_all_survive() {
    let app = spawn_app().await;
    let app_id = app.create_app_id("concurrent").await;
    for r in 0..ROUNDS {
        let ep_id = create_endpoint(&app, &app_id).await;
        let path = format!("/api/v1/app/{app_id}/endpoint/{ep_id}");
        let before = app.endpoint_secret(&app_id, &ep_id).await;
        let description = json!({"description": format!("desc {r}")});
        let headers = json!({"headers": {"X-Round": r.to_string()}});
        let (headers_path, rotate_path) =
            (format!("{path}/headers"), format!("{path}/secret/rotate"));
        let empty = json!({});
        let (patched, put, rotated) = tokio::join!(
            app.patch(&path, &description),
            app.put(&headers_path, &headers),
            app.post(&rotate_path, &empty),
        );
        expect_json(patched, 200).await;
        assert_eq!(put.status(), 204);
        let new_key = expect_json(rotated, 200).await["key"].clone();

        let ep = app.get_ok(&path).await;
        assert_eq!(ep["description"], format!("desc {r}"), "round {r}");
        let shown = app.get_ok(&format!("{path}/headers")).await;
        assert_eq!(
            shown["headers"],
            json!({"X-Round": r.to_string()}),
            "round {r}"
        );
        let now = app.endpoint_secret(&app_id, &ep_id).await;
        assert_eq!(json!(now), new_key, "round {r}: the rotation was lost");
        assert_ne!(now, before);
        let stored = app
            .state
            .store
            .get_endpoint(&app_id, &ep_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.retired_secrets.len(),
            1,
            "round {r}: the replaced secret is retired"
        );
    }
}
