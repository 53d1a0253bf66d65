//! Endpoint URLs are stored in one normalised form (no CRLF, surrounding spaces or
//! upper-case host survive into what `GET` shows and the dispatcher requests); an empty
//! host or port 0 is refused; credentials in the URL are refused on every write of app and
//! source endpoints, pointing to endpoint headers; and the header-count cap holds on create.

use serde_json::{json, Map, Value};

use crate::helpers::{expect_json, spawn_app, TestApp};

/// The `msg` of a 422 located at `field`.
async fn refused(resp: reqwest::Response, field: &str) -> String {
    let err = expect_json(resp, 422).await;
    let item = err["detail"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["loc"] == json!(["body", field]))
        .unwrap_or_else(|| panic!("no problem at {field}: {err}"))
        .clone();
    item["msg"].as_str().unwrap().to_string()
}

struct Paths {
    /// The endpoint list (POST creates).
    list: String,
    /// One existing endpoint.
    one: String,
}

async fn app_paths(app: &TestApp) -> Paths {
    let id = app.create_app_id("u").await;
    let list = format!("/api/v1/app/{id}/endpoint");
    let ep = app
        .post_ok(&list, &json!({"url": "https://example.com/first"}), 201)
        .await;
    let one = format!("{list}/{}", ep["id"].as_str().unwrap());
    Paths { list, one }
}

async fn source_paths(app: &TestApp) -> Paths {
    let src = app
        .post_ok(
            "/ingest/api/v1/source",
            &json!({"name": "s", "type": "generic-webhook"}),
            201,
        )
        .await;
    let list = format!(
        "/ingest/api/v1/source/{}/endpoint",
        src["id"].as_str().unwrap()
    );
    let ep = app
        .post_ok(&list, &json!({"url": "https://example.com/first"}), 201)
        .await;
    let one = format!("{list}/{}", ep["id"].as_str().unwrap());
    Paths { list, one }
}

#[tokio::test]
async fn urls_are_stored_normalised() {
    let app = spawn_app().await;
    let p = app_paths(&app).await;
    let cases = [
        ("  https://example.com/lead", "https://example.com/lead"),
        ("https://example.com/a\r\nb", "https://example.com/ab"),
        (
            "https://exa\r\nmple.com/x\t?q=1",
            "https://example.com/x?q=1",
        ),
        ("HTTPS://Example.COM:443/Case", "https://example.com/Case"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ];
    for (given, stored) in cases {
        let ep = app.post_ok(&p.list, &json!({ "url": given }), 201).await;
        assert_eq!(ep["url"], stored, "{given:?}");
        let path = format!("{}/{}", p.list, ep["id"].as_str().unwrap());
        assert_eq!(app.get_ok(&path).await["url"], stored, "GET {given:?}");
    }
    // PUT and PATCH store the same form.
    let put = app
        .put(&p.one, &json!({"url": " https://example.com/put\n"}))
        .await;
    assert_eq!(
        expect_json(put, 200).await["url"],
        "https://example.com/put"
    );
    let patch = app
        .patch(&p.one, &json!({"url": "https://EXAMPLE.com/pa\r\ntch"}))
        .await;
    assert_eq!(
        expect_json(patch, 200).await["url"],
        "https://example.com/patch"
    );
    assert_eq!(app.get_ok(&p.one).await["url"], "https://example.com/patch");
    // So do source endpoints.
    let s = source_paths(&app).await;
    let ep = app
        .post_ok(&s.list, &json!({"url": "\thttps://Example.com/src"}), 201)
        .await;
    assert_eq!(ep["url"], "https://example.com/src");
}

#[tokio::test]
async fn empty_hosts_and_port_zero_are_refused() {
    let app = spawn_app().await;
    let p = app_paths(&app).await;
    for bad in [
        "http:///",
        "https://:443/x",
        "http://\r\n/",
        "https://example.com:0/",
        "http://127.0.0.1:0",
        "https://exa mple.com/",
    ] {
        let msg = refused(app.post(&p.list, &json!({ "url": bad })).await, "url").await;
        assert!(!msg.is_empty(), "{bad:?}");
        refused(app.patch(&p.one, &json!({ "url": bad })).await, "url").await;
        refused(app.put(&p.one, &json!({ "url": bad })).await, "url").await;
    }
    assert_eq!(app.get_ok(&p.one).await["url"], "https://example.com/first");
}

#[tokio::test]
async fn credentials_in_urls_are_refused_on_every_write() {
    let app = spawn_app().await;
    let with_creds = [
        "https://user:s3cr3t@example.com/hook",
        "https://user@example.com/hook",
        "https://:s3cr3t@example.com/hook",
        " https://us%40er:s3cr3t%3A@example.com/",
    ];
    for paths in [app_paths(&app).await, source_paths(&app).await] {
        let upsert_new = format!("{}/new-by-put", paths.list);
        for url in with_creds {
            let body = json!({ "url": url });
            let mut writes = vec![
                ("create", app.post(&paths.list, &body).await),
                ("replace", app.put(&paths.one, &body).await),
                ("upsert", app.put(&upsert_new, &body).await),
            ];
            if paths.list.starts_with("/api") {
                // Source endpoints have no PATCH route; app endpoints do.
                writes.push(("patch", app.patch(&paths.one, &body).await));
            }
            for (what, resp) in writes {
                let msg = refused(resp, "url").await;
                assert!(
                    msg.contains("credentials") && msg.contains("Authorization"),
                    "{what} {url}: {msg}"
                );
                assert!(
                    !msg.contains("s3cr3t"),
                    "{what}: the password is not echoed: {msg}"
                );
            }
        }
        assert_eq!(
            app.get_ok(&paths.one).await["url"],
            "https://example.com/first"
        );
        let listed = app.get_ok(&paths.list).await;
        assert_eq!(
            listed["data"].as_array().unwrap().len(),
            1,
            "nothing was created"
        );
    }
}

#[tokio::test]
async fn a_password_stored_before_the_refusal_is_not_shown() {
    let app = spawn_app().await;
    let p = app_paths(&app).await;
    let ep_id = p.one.rsplit('/').next().unwrap();
    let app_id = p.list.split('/').nth(4).unwrap();
    let mut ep = app
        .state
        .store
        .get_endpoint(app_id, ep_id)
        .await
        .unwrap()
        .unwrap();
    ep.url = "https://legacy:hunter2@example.com/old".into();
    app.state.store.update_endpoint(ep).await.unwrap();
    let got = app.get_ok(&p.one).await;
    assert_eq!(got["url"], "https://legacy:redacted@example.com/old");
    let text = app.get(&p.list).await.text().await.unwrap();
    assert!(!text.contains("hunter2"), "{text}");
}

#[tokio::test]
async fn the_header_cap_holds_on_create() {
    let app = spawn_app().await;
    let p = app_paths(&app).await;
    let headers = |n: usize| {
        let m: Map<String, Value> = (0..n).map(|i| (format!("X-H{i}"), json!("v"))).collect();
        Value::Object(m)
    };
    let body = json!({"url": "https://example.com/h", "headers": headers(51)});
    let msg = refused(app.post(&p.list, &body).await, "headers").await;
    assert!(msg.contains("50"), "{msg}");
    let body = json!({"url": "https://example.com/h", "headers": headers(50)});
    let ep = app.post_ok(&p.list, &body, 201).await;
    let path = format!("{}/{}/headers", p.list, ep["id"].as_str().unwrap());
    let got = app.get_ok(&path).await;
    assert_eq!(got["headers"].as_object().unwrap().len(), 50);
    // One name twice in different case would go out twice: refused on create and PUT.
    let twice = json!({"X-Tenant": "1", "x-tenant": "2"});
    let body = json!({"url": "https://example.com/h", "headers": twice});
    refused(app.post(&p.list, &body).await, "headers").await;
    refused(
        app.put(&path, &json!({ "headers": twice })).await,
        "headers",
    )
    .await;
}
