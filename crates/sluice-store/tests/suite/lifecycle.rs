//! Deletes and their cascades, stats, durability across a reopen, concurrent writes.

use std::collections::BTreeMap;

use sluice_core::model::DeliveryStatus;
use sluice_core::queue::{DeliveryNext, Outcome};
use sluice_store::{
    AttemptFilter, CachedResponse, IdempotencyBegin, MessageFilter, Page, StoreError,
};

use super::*;

/// Deleting an app removes its endpoints, messages, deliveries and attempts, and nothing of
/// other apps.
pub async fn delete_app_cascades(s: Dyn) {
    let doomed = new_app(&s).await;
    let kept = new_app(&s).await;
    let d_ep = new_endpoint(&s, &doomed.id, |_| {}).await;
    let k_ep = new_endpoint(&s, &kept.id, |_| {}).await;
    let (d_msg, _) = publish(&s, &doomed.id, "t", T0).await;
    publish(&s, &doomed.id, "t", T0 + 1).await;
    let (k_msg, _) = publish(&s, &kept.id, "t", T0).await;
    let claimed = s.claim_due(claim_req(T0, 10, 10)).await.unwrap();
    let outcomes = claimed
        .iter()
        .filter(|c| c.message.created_at == T0)
        .map(|c| Outcome {
            delivery_id: c.delivery.id.clone(),
            lease: c.lease,
            attempt: Some(attempt_row(c, 500, DeliveryStatus::Fail, T0 + 5)),
            next: DeliveryNext::RetryAt(T0 + 10),
            disable_endpoint: false,
            retry_after_ms: None,
        })
        .collect();
    s.record_outcomes(outcomes).await.unwrap();

    s.delete_app(ORG, &doomed.id).await.unwrap();
    assert!(s.get_app(ORG, &doomed.id).await.unwrap().is_none());
    assert!(s
        .get_endpoint(&doomed.id, &d_ep.id)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .get_message(&doomed.id, &d_msg.id)
        .await
        .unwrap()
        .is_none());
    assert!(
        collect(|p| s.list_messages(&doomed.id, MessageFilter::default(), p))
            .await
            .is_empty()
    );
    assert!(deliveries_to(&s, &d_ep.id).await.is_empty());
    let d_attempts = AttemptFilter {
        app_id: doomed.id.clone(),
        ..Default::default()
    };
    assert!(collect(|p| s.list_attempts(d_attempts.clone(), p))
        .await
        .is_empty());
    assert!(matches!(
        s.delete_app(ORG, &doomed.id).await,
        Err(StoreError::NotFound)
    ));

    // The other app is intact, and its retry is the only work left.
    assert!(s.get_app(ORG, &kept.id).await.unwrap().is_some());
    assert_eq!(deliveries_to(&s, &k_ep.id).await.len(), 1);
    let k_attempts = AttemptFilter {
        app_id: kept.id.clone(),
        ..Default::default()
    };
    assert_eq!(
        collect(|p| s.list_attempts(k_attempts.clone(), p))
            .await
            .len(),
        1
    );
    let left = s.claim_due(claim_req(T0 + 100, 10, 10)).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].message.id, k_msg.id);
}

/// Deleting an endpoint drops its unfinished deliveries but keeps attempts.
pub async fn delete_endpoint_keeps_history(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    let (m1, _) = publish(&s, &app.id, "t", T0).await;
    let c = s
        .claim_due(claim_req(T0, 10, 10))
        .await
        .unwrap()
        .pop()
        .unwrap();
    let a = attempt_row(&c, 200, DeliveryStatus::Success, T0 + 1);
    s.record_outcomes(vec![Outcome {
        delivery_id: c.delivery.id.clone(),
        lease: c.lease,
        attempt: Some(a.clone()),
        next: DeliveryNext::Succeeded,
        disable_endpoint: false,
        retry_after_ms: None,
    }])
    .await
    .unwrap();
    publish(&s, &app.id, "t", T0 + 2).await;
    assert!(matches!(
        s.delete_endpoint("app_other", &ep.id).await,
        Err(StoreError::NotFound)
    ));
    s.delete_endpoint(&app.id, &ep.id).await.unwrap();
    assert!(s.get_endpoint(&app.id, &ep.id).await.unwrap().is_none());
    assert!(s
        .claim_due(claim_req(T0 + 100, 10, 10))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(s.next_due_at().await.unwrap(), None);
    let remaining = collect(|p| s.list_endpoint_deliveries(&ep.id, None, p)).await;
    assert_eq!(remaining.len(), 1, "the finished delivery stays as history");
    assert_eq!(remaining[0].0.id, m1.id);
    assert_eq!(
        s.get_attempt(&app.id, &m1.id, &a.id).await.unwrap(),
        Some(a)
    );
    assert!(matches!(
        s.delete_endpoint(&app.id, &ep.id).await,
        Err(StoreError::NotFound)
    ));
}

/// Stats count the endpoint's deliveries created in `[since, until)` by status.
pub async fn endpoint_stats(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    let other = new_endpoint(&s, &app.id, |_| {}).await;
    for i in 0..6 {
        publish(&s, &app.id, "t", T0 + i * 10).await;
    }
    let mut req = claim_req(T0 + 100, 3, 3);
    req.exclude_endpoints = vec![other.id.clone()];
    let claimed = s.claim_due(req).await.unwrap();
    assert_eq!(claimed.len(), 3);
    let mk = |c: &Claimed, next| Outcome {
        delivery_id: c.delivery.id.clone(),
        lease: c.lease,
        attempt: None,
        next,
        disable_endpoint: false,
        retry_after_ms: None,
    };
    s.record_outcomes(vec![
        mk(&claimed[0], DeliveryNext::Succeeded),
        mk(&claimed[1], DeliveryNext::Failed),
    ])
    .await
    .unwrap();
    // Created at T0, +10, +20 (success, fail, sending), +30, +40, +50 (pending).
    let stats: BTreeMap<i64, u64> = s
        .endpoint_stats(&ep.id, T0, T0 + 60)
        .await
        .unwrap()
        .into_iter()
        .map(|(st, n)| (st as i64, n))
        .collect();
    let get = |st: DeliveryStatus| stats.get(&(st as i64)).copied().unwrap_or(0);
    assert_eq!(get(DeliveryStatus::Success), 1);
    assert_eq!(get(DeliveryStatus::Fail), 1);
    assert_eq!(get(DeliveryStatus::Sending), 1);
    assert_eq!(get(DeliveryStatus::Pending), 3);
    let window: u64 = s
        .endpoint_stats(&ep.id, T0 + 10, T0 + 40)
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(window, 3, "since is inclusive, until exclusive");
}

/// Everything acknowledged is still there after the store is dropped and reopened.
pub async fn durable_across_reopen(open: impl Fn() -> Dyn) {
    let s = open();
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    let mut msgs = Vec::new();
    for i in 0..50 {
        msgs.push(publish(&s, &app.id, "t", T0 + i).await.0);
    }
    let stored_resp = CachedResponse {
        status: 200,
        body: vec![1],
        msg_id: None,
    };
    let IdempotencyBegin::Run { token } = s.idempotency_begin("key", T0, 1_000).await.unwrap()
    else {
        panic!("a new key runs");
    };
    s.idempotency_finish("key", token, stored_resp.clone(), T0)
        .await
        .unwrap();
    drop(s);

    let s = open();
    assert!(s.get_app(ORG, &app.id).await.unwrap().is_some());
    assert_eq!(
        s.get_endpoint(&app.id, &ep.id).await.unwrap(),
        Some(ep.clone())
    );
    let stored = collect(|p| s.list_messages(&app.id, MessageFilter::default(), p)).await;
    assert_eq!(stored, msgs);
    assert_eq!(deliveries_to(&s, &ep.id).await.len(), 50);
    assert_eq!(
        s.idempotency_begin("key", T0, 1_000).await.unwrap(),
        IdempotencyBegin::Replay(stored_resp)
    );
    assert_eq!(
        s.claim_due(claim_req(T0 + 100, 100, 100))
            .await
            .unwrap()
            .len(),
        50
    );
}

/// `n` concurrent publishes from many tasks all succeed and all their rows exist. Returns
/// how long the publishes took (for the report, never asserted on).
pub async fn concurrent_creates(s: Dyn, n: usize) -> std::time::Duration {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    let started = std::time::Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (s, app_id) = (s.clone(), app.id.clone());
        tasks.push(tokio::spawn(async move {
            let mut m = message_row(&app_id, "t", T0 + i as i64);
            m.event_id = Some(format!("evt-{i}"));
            s.create_message(m, None, T0).await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().expect("create_message"), 1);
    }
    let took = started.elapsed();
    let listed = collect(|p| s.list_messages(&app.id, MessageFilter::default(), p)).await;
    assert_eq!(listed.len(), n);
    assert_eq!(deliveries_to(&s, &ep.id).await.len(), n);
    let all_due = Page {
        limit: 1,
        ..page(1)
    };
    assert!(
        s.list_endpoint_deliveries(&ep.id, Some(DeliveryStatus::Pending), all_due)
            .await
            .unwrap()
            .has_more
    );
    took
}
