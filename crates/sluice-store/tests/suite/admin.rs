//! Applications, endpoints, event types, deletes, stats, idempotency, health, durability
//! and concurrent writes.

use std::collections::BTreeMap;

use sluice_core::model::{DeliveryStatus, EventType, RetiredSecret};
use sluice_store::{
    AttemptFilter, CachedResponse, DeliveryNext, MessageFilter, Order, Outcome, Page, StoreError,
};

use super::*;

fn conflict(r: sluice_store::StoreResult<()>, what: &str) {
    match r {
        Err(StoreError::Conflict(w)) => assert_eq!(w, what),
        other => panic!("expected Conflict({what}), got {other:?}"),
    }
}

/// Applications: uid uniqueness per org, lookup by id or uid, update, list, NotFound.
pub async fn applications(s: Dyn) {
    let mut a = app_row(T0);
    a.uid = Some("acme".into());
    s.create_app(a.clone()).await.unwrap();
    let mut same_uid = app_row(T0 + 1);
    same_uid.uid = Some("acme".into());
    conflict(s.create_app(same_uid.clone()).await, "uid");
    same_uid.org_id = "org_other".into();
    s.create_app(same_uid.clone())
        .await
        .expect("uid is per org");

    assert_eq!(s.get_app(ORG, &a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(s.get_app(ORG, "acme").await.unwrap(), Some(a.clone()));
    assert_eq!(
        s.get_app("org_other", "acme").await.unwrap(),
        Some(same_uid.clone())
    );
    assert!(
        s.get_app("org_other", &a.id).await.unwrap().is_none(),
        "visible across orgs"
    );

    let mut b = app_row(T0 + 2);
    b.uid = Some("beta".into());
    s.create_app(b.clone()).await.unwrap();
    let mut edited = a.clone();
    edited.name = "Acme Inc".into();
    edited.throttle_rate = Some(50);
    edited.metadata = BTreeMap::from([("k".to_string(), "v".to_string())]);
    edited.updated_at = T0 + 10;
    s.update_app(edited.clone()).await.unwrap();
    assert_eq!(s.get_app(ORG, &a.id).await.unwrap(), Some(edited.clone()));
    edited.uid = Some("beta".into());
    conflict(s.update_app(edited).await, "uid");
    assert!(matches!(
        s.update_app(app_row(T0)).await,
        Err(StoreError::NotFound)
    ));

    let listed = s.list_apps(ORG, page(1)).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert!(listed.has_more);
    assert_eq!(listed.items[0].id, a.id.clone().min(b.id.clone()));
    let all = s.list_apps(ORG, page(10)).await.unwrap();
    assert_eq!(all.items.len(), 2);
    assert!(!all.has_more);
    assert!(matches!(
        s.delete_app("org_other", &a.id).await,
        Err(StoreError::NotFound)
    ));
}

/// Endpoints: every field round-trips, uid uniqueness per app, lookup, update, list.
pub async fn endpoints(s: Dyn) {
    let app = new_app(&s).await;
    let other_app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |e| {
        e.uid = Some("main".into());
        e.description = "primary".into();
        e.version = 2;
        e.event_types = Some(vec!["a".into(), "b".into()]);
        e.channels = Some(vec![]);
        e.throttle_rate = Some(10);
        e.metadata = BTreeMap::from([("m".to_string(), "1".to_string())]);
        e.headers = BTreeMap::from([("X-Team".to_string(), "core".to_string())]);
    })
    .await;
    assert_eq!(
        s.get_endpoint(&app.id, &ep.id).await.unwrap(),
        Some(ep.clone())
    );
    assert_eq!(
        s.get_endpoint(&app.id, "main").await.unwrap(),
        Some(ep.clone())
    );
    assert!(s
        .get_endpoint(&other_app.id, &ep.id)
        .await
        .unwrap()
        .is_none());

    let mut dup = endpoint_row(&app.id, T0);
    dup.uid = Some("main".into());
    conflict(s.create_endpoint(dup.clone()).await, "uid");
    dup.app_id = other_app.id.clone();
    s.create_endpoint(dup).await.expect("uid is per app");

    let mut edited = ep.clone();
    edited.url = "https://example.org/v2".into();
    edited.event_types = None;
    edited.secret = vec![42; 32];
    edited.retired_secrets = vec![
        RetiredSecret {
            sealed: vec![1],
            expires_at: T0 + 5,
        },
        RetiredSecret {
            sealed: vec![2, 2],
            expires_at: T0 + 6,
        },
    ];
    edited.updated_at = T0 + 100;
    s.update_endpoint(edited.clone()).await.unwrap();
    assert_eq!(
        s.get_endpoint(&app.id, &ep.id).await.unwrap(),
        Some(edited.clone())
    );

    let second = new_endpoint(&s, &app.id, |e| e.uid = Some("second".into())).await;
    let mut clash = second.clone();
    clash.uid = Some("main".into());
    conflict(s.update_endpoint(clash).await, "uid");
    assert!(matches!(
        s.update_endpoint(endpoint_row(&app.id, T0)).await,
        Err(StoreError::NotFound)
    ));

    let listed = s.list_endpoints(&app.id, page(10)).await.unwrap();
    let mut want = vec![ep.id.clone(), second.id.clone()];
    want.sort();
    assert_eq!(
        listed
            .items
            .iter()
            .map(|e| e.id.clone())
            .collect::<Vec<_>>(),
        want
    );
}

/// Event types: name uniqueness, archived hidden unless asked, pagination by name, update,
/// hard delete.
pub async fn event_types(s: Dyn) {
    let et = |name: &str, archived: bool| EventType {
        org_id: ORG.into(),
        name: name.into(),
        description: format!("{name} happened"),
        schemas: Some(serde_json::json!({"1": {"type": "object"}})),
        archived,
        deprecated: false,
        feature_flag: None,
        created_at: T0,
        updated_at: T0,
    };
    for (name, archived) in [
        ("b.two", false),
        ("a.one", false),
        ("c.three", true),
        ("d.four", false),
    ] {
        s.create_event_type(et(name, archived)).await.unwrap();
    }
    conflict(s.create_event_type(et("a.one", false)).await, "name");
    let mut other_org = et("a.one", false);
    other_org.org_id = "org_other".into();
    s.create_event_type(other_org)
        .await
        .expect("names are per org");

    let names = |l: sluice_store::Listed<EventType>| {
        l.items.into_iter().map(|e| e.name).collect::<Vec<_>>()
    };
    let first = s.list_event_types(ORG, false, page(2)).await.unwrap();
    assert!(first.has_more);
    assert_eq!(names(first), vec!["a.one", "b.two"]);
    let next = Page {
        iterator: Some("b.two".into()),
        ..page(2)
    };
    let rest = s.list_event_types(ORG, false, next).await.unwrap();
    assert!(!rest.has_more);
    assert_eq!(names(rest), vec!["d.four"]);
    let with_archived = s.list_event_types(ORG, true, page(10)).await.unwrap();
    assert_eq!(
        names(with_archived),
        vec!["a.one", "b.two", "c.three", "d.four"]
    );
    let desc = Page {
        order: Order::Descending,
        ..page(10)
    };
    assert_eq!(
        names(s.list_event_types(ORG, true, desc).await.unwrap()),
        vec!["d.four", "c.three", "b.two", "a.one"]
    );

    assert_eq!(
        s.get_event_type(ORG, "c.three").await.unwrap(),
        Some(et("c.three", true))
    );
    let mut edited = et("a.one", true);
    edited.deprecated = true;
    edited.schemas = None;
    edited.feature_flag = Some("beta".into());
    s.update_event_type(edited.clone()).await.unwrap();
    assert_eq!(s.get_event_type(ORG, "a.one").await.unwrap(), Some(edited));
    assert!(matches!(
        s.update_event_type(et("zzz", false)).await,
        Err(StoreError::NotFound)
    ));
    s.delete_event_type(ORG, "a.one").await.unwrap();
    assert!(s.get_event_type(ORG, "a.one").await.unwrap().is_none());
    assert!(s
        .get_event_type("org_other", "a.one")
        .await
        .unwrap()
        .is_some());
    assert!(matches!(
        s.delete_event_type(ORG, "a.one").await,
        Err(StoreError::NotFound)
    ));
}

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

/// The first response stored for a key wins; purge drops old keys only.
pub async fn idempotency(s: Dyn) {
    assert!(s.idempotency_get("k1").await.unwrap().is_none());
    let first = CachedResponse {
        status: 202,
        body: b"{\"id\":\"one\"}".to_vec(),
    };
    let second = CachedResponse {
        status: 500,
        body: b"other".to_vec(),
    };
    s.idempotency_put("k1", first.clone(), T0).await.unwrap();
    s.idempotency_put("k1", second.clone(), T0 + 1)
        .await
        .unwrap();
    assert_eq!(s.idempotency_get("k1").await.unwrap(), Some(first.clone()));
    s.idempotency_put("k2", second.clone(), T0 + 100)
        .await
        .unwrap();
    assert_eq!(s.idempotency_purge(T0 + 50).await.unwrap(), 1);
    assert!(s.idempotency_get("k1").await.unwrap().is_none());
    assert_eq!(s.idempotency_get("k2").await.unwrap(), Some(second));
    s.ping().await.expect("ping");
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
    s.idempotency_put(
        "key",
        CachedResponse {
            status: 200,
            body: vec![1],
        },
        T0,
    )
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
    assert!(s.idempotency_get("key").await.unwrap().is_some());
    assert_eq!(
        s.claim_due(claim_req(T0 + 100, 100, 100))
            .await
            .unwrap()
            .len(),
        50
    );
}

/// `n` concurrent publishes from many tasks all succeed and all their rows exist.
pub async fn concurrent_creates(s: Dyn, n: usize) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
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
}
