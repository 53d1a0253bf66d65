//! What a failed try leads to: retries on schedule, exhaustion into the dead-letter state
//! and recovery, `Retry-After`, 410 disabling the endpoint, 3xx not followed, auth failures
//! retried, and manual resends being single tries.

use serde_json::json;
use sluice_core::model::{DeliveryStatus, Trigger};

use crate::delivery_common::*;
use crate::helpers::{spawn_app_with, Receiver, Reply, TestApp};

/// A server with a 10 ms retry schedule: 4 tries per round.
async fn fast_retries() -> TestApp {
    spawn_app_with(|c| c.retry_schedule_ms = Some(vec![10, 10, 10])).await
}

fn classes(list: &[sluice_core::model::Attempt]) -> Vec<(i32, &str)> {
    list.iter()
        .map(|a| {
            (
                a.response_status_code,
                a.error_class.as_deref().unwrap_or(""),
            )
        })
        .collect()
}

#[tokio::test]
async fn retries_until_success() {
    let app = fast_retries().await;
    let rx = Receiver::scripted(
        vec![Reply::Status(500), Reply::Status(503)],
        Reply::Status(200),
    )
    .await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    let d = wait_status(&app, &msg_id, &s.ep_id, DeliveryStatus::Success).await;
    assert_eq!(d.attempts, 3);
    let list = attempts(&app, &s.app_id, &msg_id).await;
    assert_eq!(
        classes(&list),
        vec![(500, "transient"), (503, "transient"), (200, "success")]
    );
    let statuses: Vec<_> = list.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses,
        vec![
            DeliveryStatus::Fail,
            DeliveryStatus::Fail,
            DeliveryStatus::Success
        ]
    );
    assert!(list.iter().all(|a| a.trigger == Trigger::Scheduled));
    assert_eq!(rx.count(), 3);
}

#[tokio::test]
async fn exhaustion_dead_letters_then_recover_delivers() {
    let app = fast_retries().await;
    let rx = Receiver::scripted(vec![Reply::Status(500); 4], Reply::Status(200)).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    let d = wait_status(&app, &msg_id, &s.ep_id, DeliveryStatus::Fail).await;
    assert_eq!(d.attempts, 4, "the whole round: 1 + 3 retries");
    assert_eq!(d.next_attempt_at, None);
    assert_eq!(attempts(&app, &s.app_id, &msg_id).await.len(), 4);
    assert_eq!(rx.count(), 4);

    let since = sluice_core::millis_to_rfc3339(sluice_core::now_millis() - 3_600_000);
    app.post_ok(
        &format!("/api/v1/app/{}/endpoint/{}/recover", s.app_id, s.ep_id),
        &json!({ "since": since }),
        202,
    )
    .await;
    let d = wait_status(&app, &msg_id, &s.ep_id, DeliveryStatus::Success).await;
    assert_eq!(d.attempts, 5);
    assert_eq!(rx.count(), 5);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let app = fast_retries().await;
    let throttled = Reply::WithHeaders(429, vec![("retry-after", "1".to_owned())]);
    let rx = Receiver::scripted(vec![throttled], Reply::Status(200)).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    wait_status(&app, &msg_id, &s.ep_id, DeliveryStatus::Success).await;
    let list = attempts(&app, &s.app_id, &msg_id).await;
    assert_eq!(classes(&list), vec![(429, "throttled"), (200, "success")]);
    // The schedule says 10 ms; the receiver asked for a second, so the retry was not due
    // before then.
    let gap = list[1].created_at - list[0].created_at;
    assert!(
        gap >= 1_000,
        "retried after {gap} ms despite Retry-After: 1"
    );
}

#[tokio::test]
async fn gone_disables_the_endpoint_and_the_delivery_waits() {
    let app = fast_retries().await;
    let rx = Receiver::scripted(vec![Reply::Status(410)], Reply::Status(200)).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    let list = wait_attempts(&app, &s.app_id, &msg_id, 1).await;
    assert_eq!(classes(&list), vec![(410, "gone")]);
    let ep = endpoint(&app, &s.app_id, &s.ep_id).await;
    assert!(
        ep.disabled,
        "410 disables the endpoint with the same write as the attempt"
    );
    let d = delivery(&app, &msg_id, &s.ep_id).await;
    assert_eq!(
        d.status,
        DeliveryStatus::Pending,
        "kept on schedule, not dropped or failed"
    );
    assert_eq!(rx.count(), 1);

    // Re-enabled, the waiting delivery goes out.
    let mut ep = ep;
    ep.disabled = false;
    app.state.store.update_endpoint(ep).await.unwrap();
    wait_status(&app, &msg_id, &s.ep_id, DeliveryStatus::Success).await;
    assert_eq!(rx.count(), 2);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let app = spawn_app_with(|c| c.retry_schedule_ms = Some(vec![10])).await;
    let target = Receiver::ok().await;
    let redirect = Reply::WithHeaders(302, vec![("location", target.url.clone())]);
    let rx = Receiver::scripted(vec![], redirect).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    wait_status(&app, &msg_id, &s.ep_id, DeliveryStatus::Fail).await;
    let list = attempts(&app, &s.app_id, &msg_id).await;
    assert_eq!(classes(&list), vec![(302, "other"), (302, "other")]);
    assert_eq!(rx.count(), 2);
    assert_eq!(target.count(), 0, "the redirect target was never contacted");
}

#[tokio::test]
async fn auth_failures_are_retried_on_schedule() {
    let app = fast_retries().await;
    let rx = Receiver::scripted(
        vec![Reply::Status(401), Reply::Status(403)],
        Reply::Status(204),
    )
    .await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    wait_status(&app, &msg_id, &s.ep_id, DeliveryStatus::Success).await;
    let list = attempts(&app, &s.app_id, &msg_id).await;
    assert_eq!(
        classes(&list),
        vec![(401, "auth"), (403, "auth"), (204, "success")]
    );
}

#[tokio::test]
async fn a_manual_resend_is_a_single_try() {
    let app = spawn_app_with(|c| c.retry_schedule_ms = Some(vec![10])).await;
    let rx = Receiver::scripted(vec![], Reply::Status(500)).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;
    wait_status(&app, &msg_id, &s.ep_id, DeliveryStatus::Fail).await;
    assert_eq!(attempts(&app, &s.app_id, &msg_id).await.len(), 2);

    let path = format!(
        "/api/v1/app/{}/msg/{}/endpoint/{}/resend",
        s.app_id, msg_id, s.ep_id
    );
    app.post_ok(&path, &json!({}), 202).await;
    let list = wait_attempts(&app, &s.app_id, &msg_id, 3).await;
    let d = wait_status(&app, &msg_id, &s.ep_id, DeliveryStatus::Fail).await;
    assert_eq!(list[2].trigger, Trigger::Manual);
    assert_eq!(d.attempts, 3, "no retries after a failed manual try");
    assert_eq!(rx.count(), 3);
}
