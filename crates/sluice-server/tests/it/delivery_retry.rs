//! What a failed try leads to: retries on schedule, exhaustion into the dead-letter state
//! and recovery, `Retry-After`, 410 disabling the endpoint, 3xx not followed, auth failures
//! retried, and manual resends being single tries.
//!
//! Every test steps the dispatcher through time with Sluice's default schedule (5 s, 5 min,
//! 30 min, …): each try is made by a step at its exact due time, after a step one
//! millisecond earlier that sent nothing. The API runs on the same manual clock, so what
//! it queues (recover, resend) is due at the stepped time it was asked at.

use serde_json::json;
use sluice_core::model::{Attempt, DeliveryStatus, Trigger};
use sluice_core::retry::{RetrySchedule, JITTER};
use sluice_core::Millis;
use sluice_server::dispatch::StepReport;

use crate::delivery_common::*;
use crate::helpers::{spawn_stepped_app, Receiver, Reply};

const HOUR: Millis = 3_600_000;

fn classes(list: &[Attempt]) -> Vec<(i32, &str)> {
    list.iter()
        .map(|a| {
            (
                a.response_status_code,
                a.error_class.as_deref().unwrap_or(""),
            )
        })
        .collect()
}

/// Asserts that each try after the first came its scheduled delay (± jitter) after the one
/// before it.
fn assert_on_schedule(tries: &[Millis]) {
    let schedule = RetrySchedule::default();
    for (i, pair) in tries.windows(2).enumerate() {
        let base = schedule
            .base_delay(i as u32 + 1)
            .expect("a scheduled retry") as f64;
        let gap = (pair[1] - pair[0]) as f64;
        assert!(
            (base * (1.0 - JITTER)..=base * (1.0 + JITTER)).contains(&gap),
            "retry {} came {gap} ms after the try before it; the schedule says {base} ms ± 20 %",
            i + 1
        );
    }
}

#[tokio::test]
async fn retries_500_500_200_each_exactly_at_its_due_time() {
    let (app, dispatcher) = spawn_stepped_app(|_| {}).await;
    let rx = Receiver::scripted(
        vec![Reply::Status(500), Reply::Status(500)],
        Reply::Status(200),
    )
    .await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;
    let retrying = StepReport {
        claimed: 1,
        retrying: 1,
        ..StepReport::default()
    };

    let (t1, r) = step_to_due(&app, &dispatcher, &msg_id, &s.ep_id, &rx).await;
    assert_eq!((r, rx.count()), (retrying, 1));
    let (t2, r) = step_to_due(&app, &dispatcher, &msg_id, &s.ep_id, &rx).await;
    assert_eq!((r, rx.count()), (retrying, 2));
    let (t3, r) = step_to_due(&app, &dispatcher, &msg_id, &s.ep_id, &rx).await;
    let delivered = StepReport {
        claimed: 1,
        delivered: 1,
        ..StepReport::default()
    };
    assert_eq!((r, rx.count()), (delivered, 3));
    assert_on_schedule(&[t1, t2, t3]);

    let list = attempts(&app, &s.app_id, &msg_id).await;
    assert_eq!(
        classes(&list),
        vec![(500, "transient"), (500, "transient"), (200, "success")]
    );
    assert_eq!(
        list.iter().map(|a| a.created_at).collect::<Vec<_>>(),
        vec![t1, t2, t3],
        "one attempt per due time, made at it"
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
    let d = delivery(&app, &msg_id, &s.ep_id).await;
    assert_eq!(
        (d.status, d.attempts, d.next_attempt_at),
        (DeliveryStatus::Success, 3, None)
    );
    // Delivered is final: a day later there is nothing to send.
    let later = dispatcher.step(t3 + 24 * HOUR).await.unwrap();
    assert_eq!((later.claimed, rx.count()), (0, 3));
}

#[tokio::test]
async fn exhaustion_dead_letters_then_recover_delivers() {
    let (app, dispatcher) = spawn_stepped_app(|_| {}).await;
    let rx = Receiver::scripted(vec![Reply::Status(500); 8], Reply::Status(200)).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    let tries = step_to_end(&app, &dispatcher, &msg_id, &s.ep_id, &rx).await;
    assert_eq!(tries.len(), 8, "the whole default round: 1 + 7 retries");
    assert_on_schedule(&tries);
    let d = delivery(&app, &msg_id, &s.ep_id).await;
    assert_eq!(
        (d.status, d.attempts, d.next_attempt_at),
        (DeliveryStatus::Fail, 8, None)
    );
    assert_eq!(attempts(&app, &s.app_id, &msg_id).await.len(), 8);
    assert_eq!(rx.count(), 8);

    // An hour after the last try, on the clock the API and the dispatcher share: the
    // recover queues the delivery at that very time, not at the wall clock's.
    let at = app.clock().advance(HOUR);
    let since = sluice_core::millis_to_rfc3339(tries[0] - HOUR);
    app.post_ok(
        &format!("/api/v1/app/{}/endpoint/{}/recover", s.app_id, s.ep_id),
        &json!({ "since": since }),
        202,
    )
    .await;
    // The recover task runs in the stepped time too: its batch re-queues the delivery.
    let ran = sluice_server::tasks::run::run_due(&app.state, "test")
        .await
        .unwrap();
    assert_eq!(ran, 1);
    let r = step_now_exactly(&app, &dispatcher, &rx).await;
    assert_eq!((r.claimed, r.delivered), (1, 1));
    assert_eq!(attempts(&app, &s.app_id, &msg_id).await[8].created_at, at);
    let d = delivery(&app, &msg_id, &s.ep_id).await;
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Success, 9));
    assert_eq!(rx.count(), 9);
}

#[tokio::test]
async fn retry_after_longer_than_the_schedule_is_honoured() {
    let (app, dispatcher) = spawn_stepped_app(|_| {}).await;
    let throttled = Reply::WithHeaders(429, vec![("retry-after", "60".to_owned())]);
    let rx = Receiver::scripted(vec![throttled], Reply::Status(200)).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    let (t1, _) = step_to_due(&app, &dispatcher, &msg_id, &s.ep_id, &rx).await;
    let (t2, r) = step_to_due(&app, &dispatcher, &msg_id, &s.ep_id, &rx).await;
    assert_eq!(r.delivered, 1);
    // The schedule says 5 s ± 20 %; the receiver asked for a minute, and got exactly that.
    assert_eq!(t2 - t1, 60_000);
    let list = attempts(&app, &s.app_id, &msg_id).await;
    assert_eq!(classes(&list), vec![(429, "throttled"), (200, "success")]);
}

#[tokio::test]
async fn gone_disables_the_endpoint_and_the_delivery_waits() {
    let (app, dispatcher) = spawn_stepped_app(|_| {}).await;
    let rx = Receiver::scripted(vec![Reply::Status(410)], Reply::Status(200)).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    let (t1, _) = step_to_due(&app, &dispatcher, &msg_id, &s.ep_id, &rx).await;
    let list = attempts(&app, &s.app_id, &msg_id).await;
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
    let due = d.next_attempt_at.expect("scheduled");
    assert_on_schedule(&[t1, due]);
    // Disabled: its due time passes and it waits.
    let r = dispatcher.step(due + HOUR).await.unwrap();
    assert_eq!((r.claimed, rx.count()), (0, 1));

    // Re-enabled, the waiting delivery goes out at its due time.
    let mut ep = ep;
    ep.disabled = false;
    app.state.store.update_endpoint(ep).await.unwrap();
    let (t2, r) = step_to_due(&app, &dispatcher, &msg_id, &s.ep_id, &rx).await;
    assert_eq!((t2, r.delivered, rx.count()), (due, 1, 2));
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (app, dispatcher) = spawn_stepped_app(|_| {}).await;
    let target = Receiver::ok().await;
    let redirect = Reply::WithHeaders(302, vec![("location", target.url.clone())]);
    let rx = Receiver::scripted(vec![], redirect).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    let tries = step_to_end(&app, &dispatcher, &msg_id, &s.ep_id, &rx).await;
    assert_eq!(tries.len(), 8);
    assert_eq!(
        delivery(&app, &msg_id, &s.ep_id).await.status,
        DeliveryStatus::Fail
    );
    let list = attempts(&app, &s.app_id, &msg_id).await;
    assert_eq!(classes(&list), vec![(302, "other"); 8]);
    assert_eq!(rx.count(), 8);
    assert_eq!(target.count(), 0, "the redirect target was never contacted");
}

#[tokio::test]
async fn auth_failures_are_retried_on_schedule() {
    let (app, dispatcher) = spawn_stepped_app(|_| {}).await;
    let rx = Receiver::scripted(
        vec![Reply::Status(401), Reply::Status(403)],
        Reply::Status(204),
    )
    .await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    let tries = step_to_end(&app, &dispatcher, &msg_id, &s.ep_id, &rx).await;
    assert_on_schedule(&tries);
    let list = attempts(&app, &s.app_id, &msg_id).await;
    assert_eq!(
        classes(&list),
        vec![(401, "auth"), (403, "auth"), (204, "success")]
    );
}

#[tokio::test]
async fn a_manual_resend_is_a_single_try() {
    // The breaker is not the subject here (with it, the resend waits for the circuit's
    // next probe time: see delivery_control).
    let (app, dispatcher) = spawn_stepped_app(|c| c.circuit_failure_threshold = 100).await;
    let rx = Receiver::scripted(vec![], Reply::Status(500)).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;
    let tries = step_to_end(&app, &dispatcher, &msg_id, &s.ep_id, &rx).await;
    assert_eq!(tries.len(), 8);
    let last = *tries.last().unwrap();

    let path = format!(
        "/api/v1/app/{}/msg/{}/endpoint/{}/resend",
        s.app_id, msg_id, s.ep_id
    );
    // A minute after the last try on the shared clock: the resend is queued then.
    let at = app.clock().advance(60_000);
    app.post_ok(&path, &json!({}), 202).await;
    let r = step_now_exactly(&app, &dispatcher, &rx).await;
    assert_eq!(
        (r.claimed, r.failed),
        (1, 1),
        "a failed manual try ends the delivery"
    );
    let list = attempts(&app, &s.app_id, &msg_id).await;
    assert_eq!(list[8].trigger, Trigger::Manual);
    assert_eq!(list[8].created_at, at);
    let d = delivery(&app, &msg_id, &s.ep_id).await;
    assert_eq!(
        (d.status, d.attempts, d.next_attempt_at),
        (DeliveryStatus::Fail, 9, None),
        "no retries after a failed manual try"
    );
    let r = dispatcher.step(last + 24 * HOUR).await.unwrap();
    assert_eq!((r.claimed, rx.count()), (0, 9));
}
