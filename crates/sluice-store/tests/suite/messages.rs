//! Messages: atomic fan-out, filters, event-id dedupe, the work signal.

use std::collections::BTreeSet;
use std::time::Duration;

use sluice_core::model::{DeliveryStatus, Trigger};
use sluice_store::{ConflictKind, MessageFilter, StoreError};

use super::*;

fn strings(xs: &[&str]) -> Option<Vec<String>> {
    Some(xs.iter().map(|s| s.to_string()).collect())
}

/// Message and deliveries are written together, one per enabled endpoint whose filters
/// match; `only_endpoint` bypasses filters and the disabled flag.
pub async fn fan_out_follows_filters(s: Dyn) {
    let app = new_app(&s).await;
    let all = new_endpoint(&s, &app.id, |_| {}).await;
    let typed = new_endpoint(&s, &app.id, |e| e.event_types = strings(&["user.created"])).await;
    let eu = new_endpoint(&s, &app.id, |e| e.channels = strings(&["eu"])).await;
    let off = new_endpoint(&s, &app.id, |e| e.disabled = true).await;
    let other = new_endpoint(&s, &app.id, |e| e.event_types = strings(&["other"])).await;

    let mut msg = message_row(&app.id, "user.created", T0);
    msg.channels = strings(&["eu", "us"]);
    assert_eq!(
        s.create_message(msg.clone(), None, T0 + 5).await.unwrap(),
        3
    );
    let got: BTreeSet<String> = deliveries_of(&s, &msg.id)
        .await
        .into_iter()
        .map(|(e, _)| e.id)
        .collect();
    let want: BTreeSet<String> = [&all.id, &typed.id, &eu.id].into_iter().cloned().collect();
    assert_eq!(got, want);
    for (_, d) in deliveries_of(&s, &msg.id).await {
        assert_eq!(d.status, DeliveryStatus::Pending);
        assert_eq!(d.next_attempt_at, Some(T0 + 5));
        assert_eq!((d.attempts, d.round_attempts), (0, 0));
        assert_eq!(d.trigger, Trigger::Scheduled);
        assert_eq!(d.app_id, app.id);
        assert_eq!(d.msg_id, msg.id);
    }
    let stored = s
        .get_message(&app.id, &msg.id)
        .await
        .unwrap()
        .expect("message stored");
    assert_eq!(stored, msg);

    // No channels: the channel-filtered endpoint is skipped.
    let (plain, n) = publish(&s, &app.id, "user.deleted", T0 + 6).await;
    assert_eq!(n, 1);
    assert_eq!(deliveries_of(&s, &plain.id).await[0].0.id, all.id);

    // A message matching nothing is still stored.
    let mut lonely = message_row(&app.id, "user.deleted", T0 + 7);
    lonely.channels = strings(&["nowhere"]);
    assert_eq!(
        s.create_message(lonely.clone(), None, T0 + 7)
            .await
            .unwrap(),
        1
    );
    let lonely2 = message_row("app_without_endpoints", "x", T0 + 7);
    assert_eq!(
        s.create_message(lonely2.clone(), None, T0 + 7)
            .await
            .unwrap(),
        0
    );
    assert!(s
        .get_message("app_without_endpoints", &lonely2.id)
        .await
        .unwrap()
        .is_some());

    // only_endpoint: exactly that endpoint, even disabled or filtered out.
    for target in [&off, &other] {
        let m = message_row(&app.id, "user.created", T0 + 8);
        assert_eq!(
            s.create_message(m.clone(), Some(target.id.clone()), T0 + 8)
                .await
                .unwrap(),
            1
        );
        let ds = deliveries_of(&s, &m.id).await;
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].0.id, target.id);
    }

    // only_endpoint of another app: NotFound, and nothing is stored.
    let app2 = new_app(&s).await;
    let foreign = new_endpoint(&s, &app2.id, |_| {}).await;
    let m = message_row(&app.id, "user.created", T0 + 9);
    let err = s
        .create_message(m.clone(), Some(foreign.id.clone()), T0 + 9)
        .await;
    assert!(matches!(err, Err(StoreError::NotFound)), "{err:?}");
    assert!(s.get_message(&app.id, &m.id).await.unwrap().is_none());
    assert!(deliveries_to(&s, &foreign.id).await.is_empty());
}

/// The same eventId twice: one message, one set of deliveries, a `Conflict(MessageEventId)`,
/// also when the duplicates race.
pub async fn event_id_conflict_keeps_one(s: Dyn) {
    let app = new_app(&s).await;
    new_endpoint(&s, &app.id, |_| {}).await;
    new_endpoint(&s, &app.id, |_| {}).await;

    let mut first = message_row(&app.id, "t", T0);
    first.event_id = Some("evt-1".into());
    assert_eq!(s.create_message(first.clone(), None, T0).await.unwrap(), 2);
    let mut dup = message_row(&app.id, "t", T0 + 1);
    dup.event_id = Some("evt-1".into());
    match s.create_message(dup.clone(), None, T0 + 1).await {
        Err(StoreError::Conflict(what)) => assert_eq!(what, ConflictKind::MessageEventId),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        s.get_message(&app.id, "evt-1").await.unwrap().unwrap().id,
        first.id
    );
    assert!(s.get_message(&app.id, &dup.id).await.unwrap().is_none());
    assert_eq!(deliveries_of(&s, &first.id).await.len(), 2);
    assert!(deliveries_of(&s, &dup.id).await.is_empty());

    // The same event id in another app is a different event.
    let app2 = new_app(&s).await;
    let mut elsewhere = message_row(&app2.id, "t", T0);
    elsewhere.event_id = Some("evt-1".into());
    s.create_message(elsewhere, None, T0).await.unwrap();

    // Racing duplicates: exactly one wins.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = s.clone();
        let mut m = message_row(&app.id, "t", T0 + 10 + i);
        m.event_id = Some("evt-race".into());
        tasks.push(tokio::spawn(async move {
            s.create_message(m, None, T0 + 10).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(2) => ok += 1,
            Err(StoreError::Conflict(ConflictKind::MessageEventId)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 1);
    let filter = MessageFilter::default();
    let all = collect(|p| s.list_messages(&app.id, filter.clone(), p)).await;
    assert_eq!(all.len(), 2, "evt-1 and one evt-race");
}

/// `get_message` finds a message by id or by event id, only within its app.
pub async fn get_message_by_id_or_event_id(s: Dyn) {
    let app = new_app(&s).await;
    let mut m = message_row(&app.id, "t", T0);
    m.event_id = Some("ext-42".into());
    m.channels = strings(&["a", "b"]);
    s.create_message(m.clone(), None, T0).await.unwrap();
    assert_eq!(
        s.get_message(&app.id, &m.id).await.unwrap(),
        Some(m.clone())
    );
    assert_eq!(
        s.get_message(&app.id, "ext-42").await.unwrap(),
        Some(m.clone())
    );
    assert!(s.get_message("app_other", &m.id).await.unwrap().is_none());
    assert!(s.get_message(&app.id, "nope").await.unwrap().is_none());
}

/// The dispatcher is woken after a commit that created deliveries, and not by one that
/// created none.
pub async fn work_signal_after_deliveries(s: Dyn) {
    let app = new_app(&s).await;
    new_endpoint(&s, &app.id, |e| e.event_types = strings(&["wanted"])).await;
    signalled(&s, Duration::ZERO).await; // drop any permit left by setup
    publish(&s, &app.id, "unwanted", T0).await;
    assert!(
        !signalled(&s, Duration::from_millis(100)).await,
        "woken without work"
    );
    let (_, n) = publish(&s, &app.id, "wanted", T0).await;
    assert_eq!(n, 1);
    assert!(
        signalled(&s, PATIENCE).await,
        "not woken after deliveries were created"
    );
}
