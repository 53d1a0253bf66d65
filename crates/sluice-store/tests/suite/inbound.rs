//! Inbound sources: create with their application, token lookups across rotation, atomic
//! dedupe under concurrent redelivery, and the purge of the dedupe window.

use std::collections::BTreeMap;

use sluice_core::model::{InboundMeta, Source};
use sluice_store::{ConflictKind, InboundAccepted, StoreError, MAX_VALID_OLD_TOKENS};

use super::*;

pub fn source_row(app_id: &str, t: i64) -> Source {
    Source {
        id: ids::new_id(ids::SOURCE, t),
        org_id: ORG.into(),
        app_id: app_id.into(),
        uid: None,
        name: "Stripe".into(),
        kind: "stripe".into(),
        config: vec![5, 6, 7],
        token: vec![1, 1, 1],
        metadata: BTreeMap::from([("team".to_string(), "billing".to_string())]),
        created_at: t,
        updated_at: t,
    }
}

/// Stores an inbound message deduplicated on its own event id, as the ingest route does
/// for an event that has one.
async fn accept(s: &Dyn, source_id: &str, msg: Message, now: i64) -> InboundAccepted {
    let key = msg.event_id.clone();
    s.create_inbound_message(source_id, msg, key, now)
        .await
        .expect("create inbound message")
}

/// Creates a source (and its app) whose current token has hash `hash`.
pub async fn new_source(s: &Dyn, hash: &str) -> Source {
    let app = app_row(T0);
    let src = source_row(&app.id, T0);
    s.create_source(app, src.clone(), hash.into())
        .await
        .expect("create source");
    src
}

fn inbound_message(app_id: &str, event_id: Option<&str>, t: i64) -> Message {
    let mut m = message_row(app_id, "ingest.stripe", t);
    m.event_id = event_id.map(str::to_string);
    m.payload = "a=1&b=%20two".into();
    m.inbound = Some(InboundMeta {
        content_type: "application/x-www-form-urlencoded".into(),
        headers: vec![
            ("stripe-signature".into(), "t=1,v1=ab".into()),
            ("x-extra".into(), "1".into()),
            ("x-extra".into(), "2".into()),
        ],
    });
    m
}

/// Sources: created with their application atomically, found by id or uid, listed,
/// updated, uid conflicts, deleted with their application.
pub async fn sources_crud(s: Dyn) {
    let mut src = new_source(&s, "h1").await;
    assert_eq!(s.get_source(ORG, &src.id).await.unwrap(), Some(src.clone()));
    let app = s.get_app(ORG, &src.app_id).await.unwrap().expect("its app");
    assert_eq!(app.id, src.app_id);
    assert!(s.get_source("org_other", &src.id).await.unwrap().is_none());

    src.uid = Some("stripe-live".into());
    src.name = "Stripe live".into();
    src.config = vec![9];
    src.updated_at = T0 + 5;
    s.update_source(src.clone()).await.unwrap();
    assert_eq!(
        s.get_source(ORG, "stripe-live").await.unwrap(),
        Some(src.clone())
    );

    // A second source may not take the uid; a failed create leaves no application behind.
    let app2 = app_row(T0 + 1);
    let mut other = source_row(&app2.id, T0 + 1);
    other.uid = Some("stripe-live".into());
    match s
        .create_source(app2.clone(), other.clone(), "h2".into())
        .await
    {
        Err(StoreError::Conflict(what)) => assert_eq!(what, ConflictKind::SourceUid),
        r => panic!("expected a uid conflict, got {r:?}"),
    }
    assert!(s.get_app(ORG, &app2.id).await.unwrap().is_none());
    // Nor may its application take an application's uid: that rule is the one reported.
    let mut taken = app_row(T0 + 2);
    taken.uid = Some("billing".into());
    s.create_app(taken).await.unwrap();
    let mut app3 = app_row(T0 + 3);
    app3.uid = Some("billing".into());
    let third = source_row(&app3.id, T0 + 3);
    match s.create_source(app3, third.clone(), "h3".into()).await {
        Err(StoreError::Conflict(what)) => assert_eq!(what, ConflictKind::AppUid),
        r => panic!("expected an application uid conflict, got {r:?}"),
    }
    assert!(s.get_source(ORG, &third.id).await.unwrap().is_none());
    other.uid = None;
    s.create_source(app2, other.clone(), "h2".into())
        .await
        .unwrap();
    let listed = s.list_sources(ORG, page(10)).await.unwrap();
    let ids: Vec<_> = listed.items.iter().map(|x| x.id.clone()).collect();
    assert_eq!(ids, vec![src.id.clone(), other.id.clone()]);
    assert_eq!(s.sources_of_kind("stripe").await.unwrap().len(), 2);
    assert!(s.sources_of_kind("cron").await.unwrap().is_empty());

    // Delete takes the application, its endpoint, its messages and the token with it.
    let ep = new_endpoint(&s, &src.app_id, |_| {}).await;
    let msg = inbound_message(&src.app_id, Some("evt_1"), T0);
    accept(&s, &src.id, msg.clone(), T0).await;
    assert!(s.source_by_token("h1", T0).await.unwrap().is_some());
    s.delete_source(ORG, &src.id).await.unwrap();
    assert!(s.get_source(ORG, &src.id).await.unwrap().is_none());
    assert!(s.get_app(ORG, &src.app_id).await.unwrap().is_none());
    assert!(s.get_endpoint(&src.app_id, &ep.id).await.unwrap().is_none());
    assert!(s.get_message(&src.app_id, &msg.id).await.unwrap().is_none());
    assert!(s.source_by_token("h1", T0).await.unwrap().is_none());
    assert!(matches!(
        s.delete_source(ORG, &src.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(s.get_source(ORG, &other.id).await.unwrap().is_some());
}

/// The current token always resolves; a rotated one until its expiry; at most
/// `MAX_VALID_OLD_TOKENS` rotated tokens are valid at once; purge drops expired ones.
pub async fn token_rotation_lookups(s: Dyn) {
    let src = new_source(&s, "old").await;
    let found = |h: &'static str, now: i64| {
        let s = s.clone();
        async move { s.source_by_token(h, now).await.unwrap().map(|x| x.id) }
    };
    assert_eq!(found("old", T0).await, Some(src.id.clone()));
    assert_eq!(found("nope", T0).await, None);

    s.rotate_source_token(&src.id, vec![2], "new".into(), T0 + 1000, T0)
        .await
        .unwrap();
    assert_eq!(found("new", T0 + 5000).await, Some(src.id.clone()));
    assert_eq!(found("old", T0 + 999).await, Some(src.id.clone()));
    assert_eq!(found("old", T0 + 1000).await, None, "expired token");
    let sealed = s.get_source(ORG, &src.id).await.unwrap().unwrap().token;
    assert_eq!(sealed, vec![2], "the sealed current token is replaced");

    // Rotating again: "new" is retired in turn; "old" is still counted until it expires.
    for (i, h) in ["n2", "n3"].into_iter().enumerate() {
        s.rotate_source_token(&src.id, vec![3], h.into(), T0 + 10_000, T0 + i as i64)
            .await
            .unwrap();
    }
    assert_eq!(MAX_VALID_OLD_TOKENS, 3);
    match s
        .rotate_source_token(&src.id, vec![4], "n4".into(), T0 + 10_000, T0 + 10)
        .await
    {
        Err(StoreError::Conflict(what)) => assert_eq!(what, ConflictKind::SourceTokenRotations),
        r => panic!("expected the rotation limit, got {r:?}"),
    }
    assert_eq!(
        found("n4", T0 + 10).await,
        None,
        "refused rotation wrote nothing"
    );
    assert_eq!(found("n3", T0 + 10).await, Some(src.id.clone()));
    // Once "old" expired, a rotation is allowed again.
    s.rotate_source_token(&src.id, vec![4], "n4".into(), T0 + 10_000, T0 + 2000)
        .await
        .unwrap();
    assert_eq!(found("n4", T0 + 2000).await, Some(src.id.clone()));
    // "old" expired at T0+1000; the others at T0+10_000.
    assert_eq!(s.purge_inbound(0, T0 + 10_000).await.unwrap(), 3);
    for h in ["new", "n2", "n3"] {
        assert_eq!(found(h, T0 + 10_000).await, None);
    }
    assert_eq!(found("n4", T0 + 99_999).await, Some(src.id.clone()));
}

/// Twenty concurrent deliveries of one event id yield one message with one delivery per
/// endpoint; the other nineteen are duplicates. Messages without an event id are not
/// deduped. The inbound metadata round-trips through reads and claims.
pub async fn dedupe_is_atomic(s: Dyn) {
    let src = new_source(&s, "h").await;
    let ep = new_endpoint(&s, &src.app_id, |_| {}).await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (s, src_id, app_id) = (s.clone(), src.id.clone(), src.app_id.clone());
            tokio::spawn(async move {
                let msg = inbound_message(&app_id, Some("evt_same"), T0 + i);
                accept(&s, &src_id, msg, T0).await
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            InboundAccepted::Created { deliveries } => {
                assert_eq!(deliveries, 1);
                created += 1;
            }
            InboundAccepted::Duplicate => {}
        }
    }
    assert_eq!(
        created, 1,
        "exactly one of 20 concurrent duplicates is stored"
    );
    assert_eq!(deliveries_to(&s, &ep.id).await.len(), 1);

    // The same event id at another source is not a duplicate.
    let other = new_source(&s, "h-other").await;
    let msg = inbound_message(&other.app_id, Some("evt_same"), T0);
    assert_eq!(
        accept(&s, &other.id, msg, T0).await,
        InboundAccepted::Created { deliveries: 0 }
    );

    // No event id: every request is a new message.
    for i in 0..2 {
        let msg = inbound_message(&src.app_id, None, T0 + 100 + i);
        assert_eq!(
            accept(&s, &src.id, msg, T0).await,
            InboundAccepted::Created { deliveries: 1 }
        );
    }
    assert_eq!(deliveries_to(&s, &ep.id).await.len(), 3);

    let stored = s
        .get_message(&src.app_id, "evt_same")
        .await
        .unwrap()
        .expect("stored under its event id");
    assert_eq!(stored.inbound, inbound_message("x", None, 0).inbound);
    assert_eq!(stored.payload, "a=1&b=%20two");
    let claimed = s.claim_due(claim_req(T0, 10, 10)).await.unwrap();
    assert_eq!(claimed.len(), 3);
    assert!(claimed.iter().all(|c| c.message.inbound.is_some()));
    // Published messages have none.
    let (published, _) = publish(&s, &src.app_id, "a.b", T0).await;
    let got = s
        .get_message(&src.app_id, &published.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.inbound, None);
}

/// The purge drops dedupe rows older than the window. While the original message is still
/// stored, its event id stays a duplicate (the application's event ids are unique).
pub async fn dedupe_window_purge(s: Dyn) {
    let src = new_source(&s, "h").await;
    for (i, id) in ["old", "recent"].into_iter().enumerate() {
        let t = T0 + i as i64 * 1000;
        let msg = inbound_message(&src.app_id, Some(id), t);
        accept(&s, &src.id, msg, t).await;
    }
    assert_eq!(s.purge_inbound(T0 + 500, T0).await.unwrap(), 1);
    assert_eq!(s.purge_inbound(T0 + 500, T0).await.unwrap(), 0);
    let again = inbound_message(&src.app_id, Some("old"), T0 + 5000);
    assert_eq!(
        accept(&s, &src.id, again, T0 + 5000).await,
        InboundAccepted::Duplicate
    );
    let again = inbound_message(&src.app_id, Some("recent"), T0 + 5000);
    assert_eq!(
        accept(&s, &src.id, again, T0 + 5000).await,
        InboundAccepted::Duplicate
    );
}

/// An event without an event id, deduplicated on a key derived from its content: a
/// duplicate inside the window, new again once the purge dropped the key (no event id keeps
/// it unique beyond the window), and the key is not the message's event id.
pub async fn content_key_dedupe_is_bounded_by_the_window(s: Dyn) {
    let src = new_source(&s, "h").await;
    let ep = new_endpoint(&s, &src.app_id, |_| {}).await;
    let key = || Some("sha256:0123abcd".to_string());
    let first = inbound_message(&src.app_id, None, T0);
    let created = s
        .create_inbound_message(&src.id, first.clone(), key(), T0)
        .await
        .unwrap();
    assert_eq!(created, InboundAccepted::Created { deliveries: 1 });
    let again = inbound_message(&src.app_id, None, T0 + 1);
    assert_eq!(
        s.create_inbound_message(&src.id, again, key(), T0 + 1)
            .await
            .unwrap(),
        InboundAccepted::Duplicate
    );
    // Another key, or the same key at another source, is new.
    let other = inbound_message(&src.app_id, None, T0 + 2);
    let other_key = Some("sha256:ffff".to_string());
    assert!(matches!(
        s.create_inbound_message(&src.id, other, other_key, T0 + 2)
            .await
            .unwrap(),
        InboundAccepted::Created { .. }
    ));
    let stored = s
        .get_message(&src.app_id, &first.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.event_id, None, "the key is not an event id");

    assert_eq!(s.purge_inbound(T0 + 10, T0 + 10).await.unwrap(), 2);
    let later = inbound_message(&src.app_id, None, T0 + 20);
    assert!(matches!(
        s.create_inbound_message(&src.id, later, key(), T0 + 20)
            .await
            .unwrap(),
        InboundAccepted::Created { .. }
    ));
    assert_eq!(deliveries_to(&s, &ep.id).await.len(), 3);
}
