//! Claims: due time, bounds, exclusions, disabled endpoints, leases, large backlogs.

use std::collections::{BTreeMap, BTreeSet};

use sluice_core::model::DeliveryStatus;
use sluice_core::queue::{ClaimRequest, DeliveryNext, Outcome};
use sluice_store::QueueStore;

use super::*;

fn per_endpoint(claimed: &[Claimed]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for c in claimed {
        *m.entry(c.endpoint.id.clone()).or_default() += 1;
    }
    m
}

/// Only due deliveries are claimed, within `limit` and `per_endpoint`, never for excluded or
/// disabled endpoints; claimed rows are `Sending` until their lease expires.
pub async fn claim_respects_due_bounds_and_exclusions(s: Dyn) {
    let app = new_app(&s).await;
    let mut eps = Vec::new();
    for _ in 0..4 {
        eps.push(new_endpoint(&s, &app.id, |_| {}).await);
    }
    let (a, b, c, d) = (&eps[0], &eps[1], &eps[2], &eps[3]);
    for i in 0..5 {
        let (_, n) = publish(&s, &app.id, "t", T0 + i).await;
        assert_eq!(n, 4);
    }
    let mut disabled = d.clone();
    disabled.disabled = true;
    s.update_endpoint(disabled).await.unwrap();

    assert!(
        s.claim_due(claim_req(T0 - 1, 100, 100))
            .await
            .unwrap()
            .is_empty(),
        "nothing is due yet"
    );

    let mut req = claim_req(T0 + 10, 100, 2);
    req.exclude_endpoints = vec![c.id.clone()];
    let first = s.claim_due(req.clone()).await.unwrap();
    let counts = per_endpoint(&first);
    assert_eq!(
        counts,
        BTreeMap::from([(a.id.clone(), 2), (b.id.clone(), 2)])
    );
    let leases: BTreeSet<i64> = first.iter().map(|c| c.lease).collect();
    assert_eq!(leases.len(), first.len(), "each claim gets its own lease");
    for cl in &first {
        assert_eq!(cl.delivery.status, DeliveryStatus::Sending);
        assert_eq!(cl.delivery.next_attempt_at, Some(T0 + 10 + 30_000));
        assert_eq!(cl.message.id, cl.delivery.msg_id);
        assert_eq!(cl.message.payload, r#"{"hello":"world"}"#);
        assert_eq!(cl.endpoint.id, cl.delivery.endpoint_id);
        assert_eq!(cl.endpoint.secret, vec![1, 2, 3, 4]);
        let stored = delivery(&s, &cl.delivery.msg_id, &cl.endpoint.id)
            .await
            .unwrap();
        assert_eq!(stored.status, DeliveryStatus::Sending);
    }
    // Oldest first: the first two messages' deliveries.
    let mut msg_times: Vec<i64> = first.iter().map(|c| c.message.created_at).collect();
    msg_times.sort();
    assert_eq!(msg_times, vec![T0, T0, T0 + 1, T0 + 1]);

    // In-flight rows are not due again; the next claim takes the next ones.
    let second = s.claim_due(req).await.unwrap();
    assert_eq!(
        per_endpoint(&second),
        BTreeMap::from([(a.id.clone(), 2), (b.id.clone(), 2)])
    );
    let first_ids: BTreeSet<&str> = first.iter().map(|c| c.delivery.id.as_str()).collect();
    assert!(second
        .iter()
        .all(|c| !first_ids.contains(c.delivery.id.as_str())));

    // limit bounds the total.
    let third = s.claim_due(claim_req(T0 + 10, 3, 10)).await.unwrap();
    assert_eq!(third.len(), 3);
    // Everything sendable: 1 left for a, 1 for b, 5 for c minus what `third` took; d never.
    let rest = s.claim_due(claim_req(T0 + 10, 100, 100)).await.unwrap();
    assert_eq!(third.len() + rest.len(), 7);
    assert!(
        third.iter().chain(&rest).all(|c| c.endpoint.id != d.id),
        "disabled endpoint claimed"
    );
    assert!(s
        .claim_due(claim_req(T0 + 10, 100, 100))
        .await
        .unwrap()
        .is_empty());
}

/// An expired lease makes a `Sending` delivery claimable again; the stale claimer's outcome
/// records its attempt but does not touch the delivery, the new claimer's does. The queue
/// part goes through the [`QueueStore`] role alone, as the dispatcher does.
pub async fn expired_lease_is_reclaimed_and_fenced(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    let (msg, _) = publish(&s, &app.id, "t", T0).await;
    let q: Arc<dyn QueueStore> = s.clone();
    let lease_ms = 1_000;
    let req = |now| ClaimRequest {
        lease_ms,
        ..claim_req(now, 10, 10)
    };

    let old = q.claim_due(req(T0)).await.unwrap().pop().expect("claimed");
    assert!(
        q.claim_due(req(T0 + lease_ms - 1))
            .await
            .unwrap()
            .is_empty(),
        "lease still held"
    );
    let new = q
        .claim_due(req(T0 + lease_ms))
        .await
        .unwrap()
        .pop()
        .expect("reclaimed at expiry");
    assert_eq!(new.delivery.id, old.delivery.id);
    assert_ne!(new.lease, old.lease);

    let stale_attempt = attempt_row(&old, 200, DeliveryStatus::Success, T0 + 1_500);
    let stale = Outcome {
        delivery_id: old.delivery.id.clone(),
        lease: old.lease,
        attempt: Some(stale_attempt.clone()),
        next: DeliveryNext::Succeeded,
        disable_endpoint: false,
        retry_after_ms: None,
    };
    q.record_outcomes(vec![stale]).await.unwrap();
    let d = delivery(&s, &msg.id, &ep.id).await.unwrap();
    assert_eq!(
        d.status,
        DeliveryStatus::Sending,
        "stale outcome changed the delivery"
    );
    assert_eq!(d.attempts, 0);
    let got = s
        .get_attempt(&app.id, &msg.id, &stale_attempt.id)
        .await
        .unwrap();
    assert_eq!(
        got,
        Some(stale_attempt),
        "the stale try must still be recorded"
    );

    let fresh_attempt = attempt_row(&new, 500, DeliveryStatus::Fail, T0 + 1_600);
    q.record_outcomes(vec![Outcome {
        delivery_id: new.delivery.id.clone(),
        lease: new.lease,
        attempt: Some(fresh_attempt),
        next: DeliveryNext::RetryAt(T0 + 9_000),
        disable_endpoint: false,
        retry_after_ms: None,
    }])
    .await
    .unwrap();
    let d = delivery(&s, &msg.id, &ep.id).await.unwrap();
    assert_eq!(d.status, DeliveryStatus::Pending);
    assert_eq!(d.next_attempt_at, Some(T0 + 9_000));
    assert_eq!((d.attempts, d.round_attempts), (1, 1));
    assert_eq!(q.next_due_at().await.unwrap(), Some(T0 + 9_000));
}

/// An endpoint whose backlog sorts first but cannot be served (excluded, disabled, at its
/// bound) does not keep other endpoints' due work from being claimed.
pub async fn blocked_backlog_does_not_starve_others(s: Dyn) {
    let app = new_app(&s).await;
    let busy = new_endpoint(&s, &app.id, |_| {}).await;
    let quiet = new_endpoint(&s, &app.id, |_| {}).await;
    // 600 old deliveries for `busy` (far more than any claim window), then 5 for `quiet`.
    let mut tasks = Vec::new();
    for i in 0..600 {
        let (s, app_id, ep) = (s.clone(), app.id.clone(), busy.id.clone());
        tasks.push(tokio::spawn(async move {
            let m = message_row(&app_id, "t", T0 + i);
            s.create_message(m, Some(ep), T0).await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 1);
    }
    for i in 0..5 {
        let m = message_row(&app.id, "t", T0 + 1_000 + i);
        s.create_message(m, Some(quiet.id.clone()), T0 + 10)
            .await
            .unwrap();
    }
    let now = T0 + 10;

    // Excluded.
    let mut req = claim_req(now, 10, 10);
    req.exclude_endpoints = vec![busy.id.clone()];
    let got = s.claim_due(req).await.unwrap();
    assert_eq!(per_endpoint(&got), BTreeMap::from([(quiet.id.clone(), 5)]));
    release(&s, &got, now).await;

    // At its per-endpoint bound: the rest of the batch goes to the other endpoint.
    let got = s.claim_due(claim_req(now, 20, 10)).await.unwrap();
    assert_eq!(
        per_endpoint(&got),
        BTreeMap::from([(busy.id.clone(), 10), (quiet.id.clone(), 5)])
    );
    release(&s, &got, now).await;

    // Disabled: not claimed, and not reported as due.
    let mut off = busy.clone();
    off.disabled = true;
    s.update_endpoint(off).await.unwrap();
    assert_eq!(s.next_due_at().await.unwrap(), Some(now));
    let got = s.claim_due(claim_req(now, 20, 20)).await.unwrap();
    assert_eq!(per_endpoint(&got), BTreeMap::from([(quiet.id.clone(), 5)]));
}

/// Puts claimed deliveries back, due at `at`, without a try.
pub async fn release(s: &Dyn, claimed: &[Claimed], at: i64) {
    let outcomes = claimed
        .iter()
        .map(|c| Outcome {
            delivery_id: c.delivery.id.clone(),
            lease: c.lease,
            attempt: None,
            next: DeliveryNext::RetryAt(at),
            disable_endpoint: false,
            retry_after_ms: None,
        })
        .collect();
    s.record_outcomes(outcomes).await.unwrap();
}

/// With 100,000 pending deliveries a claim returns one bounded batch, and successive claims
/// return disjoint batches.
pub async fn claim_from_large_backlog_returns_a_batch(s: Dyn) {
    let app = new_app(&s).await;
    let mut eps = Vec::new();
    for _ in 0..100 {
        eps.push(new_endpoint(&s, &app.id, |_| {}).await);
    }
    let mut tasks = Vec::new();
    // Enough concurrent publishers that the writer groups them into large batches.
    for w in 0..50 {
        let (s, app_id) = (s.clone(), app.id.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..20 {
                let (_, n) = publish(&s, &app_id, "t", T0 + w * 20 + i).await;
                assert_eq!(n, 100);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let now = T0 + 10_000;
    assert_eq!(s.next_due_at().await.unwrap(), Some(T0));
    let first = s.claim_due(claim_req(now, 64, 5)).await.unwrap();
    assert_eq!(first.len(), 64);
    assert!(per_endpoint(&first).values().all(|&n| n <= 5));
    let second = s.claim_due(claim_req(now, 64, 5)).await.unwrap();
    assert_eq!(second.len(), 64);
    let ids: BTreeSet<&str> = first
        .iter()
        .chain(&second)
        .map(|c| c.delivery.id.as_str())
        .collect();
    assert_eq!(ids.len(), 128, "batches overlap");
    let pending = s
        .list_endpoint_deliveries(&eps[99].id, Some(DeliveryStatus::Pending), page(250))
        .await
        .unwrap();
    assert_eq!(pending.items.len(), 250);
    assert!(pending.has_more);
}
