//! Delivery history routes against real deliveries to a local receiver: attempts by
//! message and by endpoint (with filters), one attempt, attempted messages, attempted
//! destinations, and resend.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{eventually, expect_json, spawn_app, Receiver, Reply, TestApp};

const WAIT: Duration = Duration::from_secs(15);

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

fn ids(v: &Value) -> Vec<String> {
    v["data"].as_array().unwrap().iter().map(id).collect()
}

/// Waits until the message's attempts satisfy `done`, and returns them.
async fn attempts_until(
    app: &TestApp,
    app_id: &str,
    msg_id: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    eventually(WAIT, "attempts to be recorded", || async {
        let page = app
            .get_ok(&format!("/api/v1/app/{app_id}/attempt/msg/{msg_id}"))
            .await;
        let atts = page["data"].as_array().unwrap().clone();
        done(&atts).then_some(atts)
    })
    .await
}

#[tokio::test]
async fn attempt_routes_report_real_deliveries() {
    let app = spawn_app().await;
    let receiver = Receiver::scripted(vec![Reply::Status(500)], Reply::Status(200)).await;
    let app_id = id(&app.create_app("A").await);
    let ep = app
        .post_ok(
            &format!("/api/v1/app/{app_id}/endpoint"),
            &json!({"url": receiver.url, "uid": "rx", "description": "rx"}),
            201,
        )
        .await;
    let ep_id = id(&ep);
    let msg = app
        .post_ok(
            &format!("/api/v1/app/{app_id}/msg"),
            &json!({"eventType": "t.x", "eventId": "e1", "payload": {"k": 1}, "channels": ["c"]}),
            202,
        )
        .await;
    let msg_id = id(&msg);

    // One failure (500), then a success (200), newest first.
    let atts = attempts_until(&app, &app_id, &msg_id, |a| a.len() >= 2).await;
    assert_eq!(atts.len(), 2);
    let (ok, failed) = (&atts[0], &atts[1]);
    assert_eq!(
        (
            ok["status"].clone(),
            ok["statusText"].clone(),
            ok["responseStatusCode"].clone()
        ),
        (json!(0), json!("success"), json!(200))
    );
    assert_eq!(
        (
            failed["status"].clone(),
            failed["statusText"].clone(),
            failed["responseStatusCode"].clone()
        ),
        (json!(2), json!("fail"), json!(500))
    );
    for a in &atts {
        assert!(id(a).starts_with("atmpt_"));
        assert_eq!(
            (
                a["msgId"].clone(),
                a["endpointId"].clone(),
                a["url"].clone()
            ),
            (json!(msg_id), json!(ep_id), json!(receiver.url))
        );
        assert_eq!(a["triggerType"], 0);
        assert!(
            a["response"].is_string()
                && a["responseDurationMs"].as_i64().unwrap() >= 0
                && a["timestamp"].is_string()
        );
        assert!(a.get("msg").is_none());
    }

    // Filters of the by-message list; the message may be named by eventId, the endpoint by uid.
    let by_msg = |q: &str| format!("/api/v1/app/{app_id}/attempt/msg/e1?{q}");
    assert_eq!(
        ids(&app.get_ok(&by_msg("status=2")).await),
        vec![id(failed)]
    );
    assert_eq!(
        ids(&app.get_ok(&by_msg("status_code_class=200")).await),
        vec![id(ok)]
    );
    assert_eq!(
        ids(&app
            .get_ok(&by_msg("status_code_class=500&endpoint_id=rx"))
            .await),
        vec![id(failed)]
    );
    assert_eq!(
        ids(&app.get_ok(&by_msg("channel=c&event_types=t.x")).await).len(),
        2
    );
    assert_eq!(ids(&app.get_ok(&by_msg("channel=other")).await).len(), 0);
    assert_eq!(
        app.get_ok(&by_msg("with_content=false")).await["data"][0]["response"],
        ""
    );
    let page = app.get_ok(&by_msg("limit=1")).await;
    assert_eq!(
        (ids(&page), page["done"].clone()),
        (vec![id(ok)], json!(false))
    );
    expect_json(app.get(&by_msg("status=9")).await, 422).await;
    expect_json(app.get(&by_msg("status_code_class=201")).await, 422).await;

    // By endpoint, with the message embedded on request.
    let by_ep = app
        .get_ok(&format!(
            "/api/v1/app/{app_id}/attempt/endpoint/rx?with_msg=true"
        ))
        .await;
    assert_eq!(ids(&by_ep), ids(&json!({"data": atts})));
    assert_eq!(by_ep["data"][0]["msg"]["id"], json!(msg_id));
    assert_eq!(by_ep["data"][0]["msg"]["payload"], json!({"k": 1}));

    // One attempt; another message's attempt id is not found under this message.
    let one = app
        .get_ok(&format!(
            "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{}",
            id(ok)
        ))
        .await;
    assert_eq!(one["id"], ok["id"]);
    expect_json(
        app.get(&format!(
            "/api/v1/app/{app_id}/msg/{msg_id}/attempt/atmpt_2Z7Qv3n8ZfKx9Y1aBcDeFgHiJkL"
        ))
        .await,
        404,
    )
    .await;

    // Attempted messages of the endpoint and attempted destinations of the message.
    let msgs = app
        .get_ok(&format!("/api/v1/app/{app_id}/endpoint/{ep_id}/msg"))
        .await;
    assert_eq!(ids(&msgs), vec![msg_id.clone()]);
    let em = &msgs["data"][0];
    assert_eq!(
        (
            em["status"].clone(),
            em["statusText"].clone(),
            em["nextAttempt"].clone()
        ),
        (json!(0), json!("success"), json!(null))
    );
    assert_eq!(
        (
            em["eventType"].clone(),
            em["payload"].clone(),
            em["channels"].clone()
        ),
        (json!("t.x"), json!({"k": 1}), json!(["c"]))
    );
    assert_eq!(
        ids(&app
            .get_ok(&format!(
                "/api/v1/app/{app_id}/endpoint/{ep_id}/msg?channel=zzz"
            ))
            .await)
        .len(),
        0
    );
    assert_eq!(
        ids(&app
            .get_ok(&format!(
                "/api/v1/app/{app_id}/endpoint/{ep_id}/msg?status=0"
            ))
            .await),
        vec![msg_id.clone()]
    );

    let dests = app
        .get_ok(&format!("/api/v1/app/{app_id}/msg/{msg_id}/endpoint"))
        .await;
    assert_eq!(ids(&dests), vec![ep_id.clone()]);
    let d = &dests["data"][0];
    assert_eq!(
        (
            d["url"].clone(),
            d["description"].clone(),
            d["uid"].clone(),
            d["status"].clone()
        ),
        (json!(receiver.url), json!("rx"), json!("rx"), json!(0))
    );
    let text = app
        .get(&format!("/api/v1/app/{app_id}/msg/{msg_id}/endpoint"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !text.contains("whsec_"),
        "destinations must not carry secrets"
    );

    // Resend: one more, manual, try.
    let resend = format!("/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{ep_id}/resend");
    assert_eq!(app.post_ok(&resend, &json!({}), 202).await, json!({}));
    let atts = attempts_until(&app, &app_id, &msg_id, |a| a.len() >= 3).await;
    assert_eq!(atts[0]["triggerType"], 1);
    assert_eq!(atts[0]["status"], 0);
    expect_json(
        app.post(
            &format!("/api/v1/app/{app_id}/msg/nope/endpoint/{ep_id}/resend"),
            &json!({}),
        )
        .await,
        404,
    )
    .await;
    expect_json(
        app.post(
            &format!("/api/v1/app/{app_id}/msg/{msg_id}/endpoint/nope/resend"),
            &json!({}),
        )
        .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn history_of_unknown_objects_is_404() {
    let app = spawn_app().await;
    let app_id = id(&app.create_app("A").await);
    for path in [
        format!("/api/v1/app/{app_id}/attempt/msg/nope"),
        format!("/api/v1/app/{app_id}/attempt/endpoint/nope"),
        format!("/api/v1/app/{app_id}/endpoint/nope/msg"),
        format!("/api/v1/app/{app_id}/msg/nope/endpoint"),
        "/api/v1/app/nope/attempt/msg/x".to_string(),
    ] {
        let err = expect_json(app.get(&path).await, 404).await;
        assert_eq!(err["code"], "not_found", "{path}");
    }
}
