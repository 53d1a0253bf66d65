//! Svix message features over HTTP: `tags` (stored, returned, `?tag=` on the message and
//! attempt lists), `deliverAt` (scheduled, delivered not before it, bounded to five days)
//! and expunging a payload (`DELETE …/msg/{id}/content`) or an attempt's response.

use reqwest::Method;
use serde_json::{json, Value};

use crate::delivery_common::{app_with_endpoint, wait_status, WAIT};
use crate::helpers::{expect_json, spawn_app, Receiver, TestApp};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(id)
        .collect()
}

async fn publish(app: &TestApp, app_id: &str, body: Value) -> Value {
    app.post_ok(&format!("/api/v1/app/{app_id}/msg"), &body, 202)
        .await
}

/// The `loc` of the first validation problem of a 422.
async fn invalid_field(resp: reqwest::Response) -> Value {
    let v = expect_json(resp, 422).await;
    v["detail"][0]["loc"].clone()
}

#[tokio::test]
async fn tags_are_stored_returned_and_filter_messages_and_attempts() {
    let app = spawn_app().await;
    let rx = Receiver::ok().await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let a = publish(
        &app,
        &s.app_id,
        json!({"eventType": "a.b", "payload": {"n": 1}, "tags": ["project_1", "a/b#c"]}),
    )
    .await;
    assert_eq!(a["tags"], json!(["project_1", "a/b#c"]), "echoed on create");
    let b = publish(
        &app,
        &s.app_id,
        json!({"eventType": "a.b", "payload": {"n": 2}, "tags": ["other"]}),
    )
    .await;
    let untagged = publish(&app, &s.app_id, json!({"eventType": "a.b", "payload": {}})).await;
    assert_eq!(untagged["tags"], Value::Null);
    let got = app
        .get_ok(&format!("/api/v1/app/{}/msg/{}", s.app_id, id(&a)))
        .await;
    assert_eq!(got["tags"], json!(["project_1", "a/b#c"]));

    let list = |q: &str| format!("/api/v1/app/{}/msg?{q}", s.app_id);
    assert_eq!(ids(&app.get_ok(&list("tag=project_1")).await), [id(&a)]);
    assert_eq!(ids(&app.get_ok(&list("tag=a%2Fb%23c")).await), [id(&a)]);
    assert_eq!(ids(&app.get_ok(&list("tag=other")).await), [id(&b)]);
    assert!(ids(&app.get_ok(&list("tag=nope")).await).is_empty());
    assert_eq!(ids(&app.get_ok(&list("")).await).len(), 3);

    // Attempts carry their message's tags through the filter and the embedded message.
    for m in [&a, &b, &untagged] {
        wait_status(
            &app,
            &id(m),
            &s.ep_id,
            sluice_core::model::DeliveryStatus::Success,
        )
        .await;
    }
    let by_ep = app
        .get_ok(&format!(
            "/api/v1/app/{}/attempt/endpoint/{}?tag=project_1&with_msg=true",
            s.app_id, s.ep_id
        ))
        .await;
    let data = by_ep["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["msgId"], a["id"]);
    assert_eq!(data[0]["msg"]["tags"], json!(["project_1", "a/b#c"]));
    let by_msg = app
        .get_ok(&format!(
            "/api/v1/app/{}/attempt/msg/{}?tag=other",
            s.app_id,
            id(&a)
        ))
        .await;
    assert!(by_msg["data"].as_array().unwrap().is_empty());
    let attempted = app
        .get_ok(&format!(
            "/api/v1/app/{}/endpoint/{}/msg?tag=other",
            s.app_id, s.ep_id
        ))
        .await;
    assert_eq!(ids(&attempted), [id(&b)]);
    assert_eq!(attempted["data"][0]["tags"], json!(["other"]));

    // Svix's rules: at most five, distinct, [a-zA-Z0-9-_./\#]{1,128}.
    for bad in [
        json!(["a b"]),
        json!(["x", "x"]),
        json!(["1", "2", "3", "4", "5", "6"]),
    ] {
        let resp = app
            .post(
                &format!("/api/v1/app/{}/msg", s.app_id),
                &json!({"eventType": "a.b", "payload": {}, "tags": bad}),
            )
            .await;
        assert_eq!(invalid_field(resp).await, json!(["body", "tags"]), "{bad}");
    }
}

#[tokio::test]
async fn deliver_at_is_scheduled_and_delivered_not_before_it() {
    let app = spawn_app().await;
    let rx = Receiver::ok().await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    // A second or two ahead: the delivery is awaited, not slept for.
    let at = sluice_core::now_millis() + 1_500;
    let at_text = sluice_core::millis_to_rfc3339(at);
    let msg = publish(
        &app,
        &s.app_id,
        json!({"eventType": "a.b", "payload": {"later": true}, "deliverAt": at_text}),
    )
    .await;
    assert_eq!(msg["deliverAt"], json!(at_text));
    // Stored at once, and shown as scheduled for that time.
    let dest = app
        .get_ok(&format!(
            "/api/v1/app/{}/msg/{}/endpoint",
            s.app_id,
            id(&msg)
        ))
        .await;
    assert_eq!(dest["data"][0]["statusText"], "pending");
    assert_eq!(dest["data"][0]["nextAttempt"], json!(at_text));
    let listed = app.get_ok(&format!("/api/v1/app/{}/msg", s.app_id)).await;
    assert_eq!(listed["data"][0]["deliverAt"], json!(at_text));

    let got = rx.next(WAIT).await;
    assert!(
        got.at >= at,
        "delivered {} ms before its deliverAt",
        at - got.at
    );
    assert_eq!(got.header("webhook-id"), id(&msg));
    wait_status(
        &app,
        &id(&msg),
        &s.ep_id,
        sluice_core::model::DeliveryStatus::Success,
    )
    .await;
    let attempts = app
        .get_ok(&format!(
            "/api/v1/app/{}/attempt/msg/{}",
            s.app_id,
            id(&msg)
        ))
        .await;
    let tried =
        sluice_server::api::extract::parse_time(attempts["data"][0]["timestamp"].as_str().unwrap())
            .unwrap();
    assert!(tried >= at, "the attempt is recorded at or after deliverAt");
}

#[tokio::test]
async fn deliver_at_in_the_past_is_at_once_and_beyond_five_days_is_refused() {
    let app = spawn_app().await;
    let rx = Receiver::ok().await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let now = sluice_core::now_millis();
    let past = sluice_core::millis_to_rfc3339(now - 3_600_000);
    let msg = publish(
        &app,
        &s.app_id,
        json!({"eventType": "a.b", "payload": {}, "deliverAt": past}),
    )
    .await;
    assert_eq!(rx.next(WAIT).await.header("webhook-id"), id(&msg));

    let path = format!("/api/v1/app/{}/msg", s.app_id);
    let five_days = 5 * 24 * 3_600_000;
    let too_far = sluice_core::millis_to_rfc3339(now + five_days + 60_000);
    let resp = app
        .post(
            &path,
            &json!({"eventType": "a.b", "payload": {}, "deliverAt": too_far}),
        )
        .await;
    assert_eq!(invalid_field(resp).await, json!(["body", "deliverAt"]));
    let resp = app
        .post(
            &path,
            &json!({"eventType": "a.b", "payload": {}, "deliverAt": "tomorrow"}),
        )
        .await;
    assert_eq!(invalid_field(resp).await, json!(["body", "deliverAt"]));
    // Just inside the bound is accepted (and waits).
    let near = sluice_core::millis_to_rfc3339(now + five_days - 60_000);
    let ok = publish(
        &app,
        &s.app_id,
        json!({"eventType": "a.b", "payload": {}, "deliverAt": near}),
    )
    .await;
    assert_eq!(ok["deliverAt"], json!(near));
}

#[tokio::test]
async fn expunged_content_is_gone_but_the_message_and_attempts_stay() {
    let app = spawn_app().await;
    let rx = Receiver::ok().await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let path = format!("/api/v1/app/{}/msg", s.app_id);
    let body = json!({"eventType": "a.b", "eventId": "evt-secret", "payload": {"card": "4242"}});
    let send = || {
        app.client
            .post(app.url(&path))
            .bearer_auth(&app.token)
            .header("idempotency-key", "publish-once")
            .json(&body)
            .send()
    };
    let msg = expect_json(send().await.unwrap(), 202).await;
    let m = id(&msg);
    rx.next(WAIT).await;
    wait_status(
        &app,
        &m,
        &s.ep_id,
        sluice_core::model::DeliveryStatus::Success,
    )
    .await;

    // App-portal tokens may not expunge; unknown messages are 404.
    let access = app
        .post_ok(
            &format!("/api/v1/auth/app-portal-access/{}", s.app_id),
            &json!({}),
            200,
        )
        .await;
    let portal = access["token"].as_str().unwrap().to_string();
    let content = format!("/api/v1/app/{}/msg/{m}/content", s.app_id);
    let resp = app
        .request_as(Method::DELETE, &content, Some(&portal), None)
        .await;
    assert_eq!(resp.status(), 403);
    let resp = app
        .delete(&format!("/api/v1/app/{}/msg/msg_nope/content", s.app_id))
        .await;
    assert_eq!(resp.status(), 404);

    // By eventId, as every message route accepts.
    let resp = app
        .delete(&format!("/api/v1/app/{}/msg/evt-secret/content", s.app_id))
        .await;
    assert_eq!(resp.status(), 204);
    let got = app
        .get_ok(&format!("/api/v1/app/{}/msg/{m}", s.app_id))
        .await;
    assert_eq!(got["payload"], json!({"expired": true}));
    assert_eq!(
        (got["id"].clone(), got["eventType"].clone()),
        (json!(m), json!("a.b"))
    );
    let stored = app
        .state
        .store
        .get_message(&s.app_id, &m)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.payload, "", "the stored payload is empty");
    let attempts = app
        .get_ok(&format!("/api/v1/app/{}/attempt/msg/{m}", s.app_id))
        .await;
    assert_eq!(
        attempts["data"].as_array().unwrap().len(),
        1,
        "attempts stay"
    );

    // Resending is refused clearly, and recovering has nothing to send.
    let resend = format!(
        "/api/v1/app/{}/msg/{m}/endpoint/{}/resend",
        s.app_id, s.ep_id
    );
    let resp = app.post(&resend, &json!({})).await;
    let err = expect_json(resp, 400).await;
    assert_eq!(err["code"], "missing_payload");
    // The idempotent replay no longer hands out the cached body with the payload: the
    // request runs again and meets its own eventId.
    let again = send().await.unwrap();
    assert_eq!(again.status(), 409);
    assert_eq!(rx.count(), 1, "nothing was sent after the expunge");

    // An attempt's response body.
    let attempt = &attempts["data"][0];
    let path = format!(
        "/api/v1/app/{}/msg/{m}/attempt/{}/content",
        s.app_id,
        id(attempt)
    );
    assert_eq!(app.delete(&path).await.status(), 204);
    let got = app
        .get_ok(&format!(
            "/api/v1/app/{}/msg/{m}/attempt/{}",
            s.app_id,
            id(attempt)
        ))
        .await;
    assert_eq!(got["response"], "EXPUNGED");
}
