//! Svix message features the store carries: tags (stored, filtered on in message and
//! attempt lists), `deliverAt` (deliveries not due before it) and expunged payloads.

use sluice_core::model::{DeliveryStatus, Trigger};
use sluice_core::queue::{DeliveryNext, Outcome};
use sluice_store::{AttemptFilter, ConflictKind, MessageFilter, Order, StoreError};

use super::*;

fn tagged(app_id: &str, t: i64, tags: &[&str]) -> Message {
    let mut m = message_row(app_id, "t", t);
    m.tags = Some(tags.iter().map(|s| s.to_string()).collect());
    m
}

fn newest_first(limit: usize) -> Page {
    Page {
        order: Order::Descending,
        ..page(limit)
    }
}

/// Tags round-trip; `tag` filters messages (paging stays exact) and attempts; another
/// app's tagged messages never show; deleting the app removes its tags.
pub async fn tags_filter_messages_and_attempts(s: Dyn) {
    let app = new_app(&s).await;
    let other = app_row(T0);
    s.create_app(other.clone()).await.unwrap();
    new_endpoint(&s, &app.id, |_| {}).await;
    let mut red = Vec::new();
    for i in 0..5 {
        let tags: &[&str] = if i % 2 == 0 {
            &["red", "a/b#c"]
        } else {
            &["blue"]
        };
        let m = tagged(&app.id, T0 + i, tags);
        s.create_message(m.clone(), None, T0 + i).await.unwrap();
        if i % 2 == 0 {
            red.push(m.id.clone());
        }
    }
    s.create_message(tagged(&other.id, T0, &["red"]), None, T0)
        .await
        .unwrap();
    let got = s.get_message(&app.id, &red[0]).await.unwrap().unwrap();
    assert_eq!(got.tags, Some(vec!["red".to_string(), "a/b#c".to_string()]));

    let filter = |tag: &str| MessageFilter {
        tag: Some(tag.to_string()),
        ..Default::default()
    };
    // Pages of one, newest first, through the tag's rows only.
    let mut seen = Vec::new();
    let mut p = newest_first(1);
    loop {
        let l = s
            .list_messages(&app.id, filter("red"), p.clone())
            .await
            .unwrap();
        seen.extend(l.items.iter().map(|m| m.id.clone()));
        if !l.has_more {
            break;
        }
        p.iterator = l.items.last().map(|m| m.id.clone());
    }
    red.reverse();
    assert_eq!(seen, red, "newest first, only tagged, exact paging");
    let none = s
        .list_messages(&app.id, filter("green"), page(10))
        .await
        .unwrap();
    assert!(none.items.is_empty());
    // A tag combines with the other filters.
    let mut f = filter("red");
    f.event_types = Some(vec!["other".into()]);
    assert!(s
        .list_messages(&app.id, f, page(10))
        .await
        .unwrap()
        .items
        .is_empty());

    // Attempts of tagged messages.
    let claimed = s.claim_due(claim_req(T0 + 10, 10, 10)).await.unwrap();
    assert_eq!(claimed.len(), 5);
    let outcomes = claimed
        .iter()
        .map(|c| Outcome {
            delivery_id: c.delivery.id.clone(),
            lease: c.lease,
            attempt: Some(attempt_row(c, 200, DeliveryStatus::Success, T0 + 20)),
            next: DeliveryNext::Succeeded,
            disable_endpoint: false,
            retry_after_ms: None,
        })
        .collect();
    s.record_outcomes(outcomes).await.unwrap();
    let af = AttemptFilter {
        app_id: app.id.clone(),
        tag: Some("blue".into()),
        ..Default::default()
    };
    let blue = s.list_attempts(af, page(10)).await.unwrap().items;
    assert_eq!(blue.len(), 2);
    assert!(blue.iter().all(|a| !red.contains(&a.msg_id)));

    s.delete_app(ORG, &app.id).await.unwrap();
    s.create_app(app.clone()).await.unwrap();
    let after = s
        .list_messages(&app.id, filter("red"), page(10))
        .await
        .unwrap();
    assert!(after.items.is_empty(), "tags went with their application");
}

/// A message with `deliver_at` ahead is stored at once, but its deliveries are not due
/// before that time; one with `deliver_at` in the past is due at once.
pub async fn deliver_at_delays_the_deliveries(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    let mut later = message_row(&app.id, "t", T0);
    later.deliver_at = Some(T0 + 60_000);
    assert_eq!(s.create_message(later.clone(), None, T0).await.unwrap(), 1);
    let stored = s.get_message(&app.id, &later.id).await.unwrap().unwrap();
    assert_eq!(stored.deliver_at, Some(T0 + 60_000));
    let d = delivery(&s, &later.id, &ep.id).await.unwrap();
    assert_eq!(
        (d.status, d.next_attempt_at),
        (DeliveryStatus::Pending, Some(T0 + 60_000))
    );
    assert_eq!(s.next_due_at().await.unwrap(), Some(T0 + 60_000));
    assert!(s
        .claim_due(claim_req(T0 + 59_999, 10, 10))
        .await
        .unwrap()
        .is_empty());

    let mut past = message_row(&app.id, "t", T0 + 1);
    past.deliver_at = Some(T0 - 60_000);
    s.create_message(past.clone(), None, T0 + 1).await.unwrap();
    let now = s.claim_due(claim_req(T0 + 1, 10, 10)).await.unwrap();
    assert_eq!(
        now.iter().map(|c| c.message.id.clone()).collect::<Vec<_>>(),
        [past.id.clone()],
        "a past deliverAt is due at once; the future one is not"
    );
    s.record_outcomes(vec![Outcome {
        delivery_id: now[0].delivery.id.clone(),
        lease: now[0].lease,
        attempt: Some(attempt_row(&now[0], 200, DeliveryStatus::Success, T0 + 2)),
        next: DeliveryNext::Succeeded,
        disable_endpoint: false,
        retry_after_ms: None,
    }])
    .await
    .unwrap();
    let due = s.claim_due(claim_req(T0 + 60_000, 10, 10)).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].message.id, later.id);
}

/// Expunging empties the payload (and inbound headers) but keeps the message, its
/// deliveries and attempts; waiting deliveries fail, resend refuses, recover skips it, and
/// a retry scheduled by a try in flight is failed by the claim without a try.
pub async fn expunge_keeps_the_record_and_stops_sending(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    let ep2 = new_endpoint(&s, &app.id, |_| {}).await;
    let (msg, n) = publish(&s, &app.id, "t", T0).await;
    assert_eq!(n, 2);
    // One delivery is in flight when the payload goes; the other waits.
    let mut claimed = s.claim_due(claim_req(T0, 1, 1)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let c = claimed.pop().unwrap();
    let waiting = if c.endpoint.id == ep.id { &ep2 } else { &ep };

    s.expunge_message_content(&app.id, &msg.id, T0 + 5)
        .await
        .unwrap();
    s.expunge_message_content(&app.id, &msg.id, T0 + 6)
        .await
        .expect("idempotent");
    let m = s.get_message(&app.id, &msg.id).await.unwrap().unwrap();
    assert_eq!((m.payload.as_str(), m.expunged_at), ("", Some(T0 + 5)));
    assert_eq!(m.event_type, msg.event_type, "the message itself stays");
    let w = delivery(&s, &msg.id, &waiting.id).await.unwrap();
    assert_eq!((w.status, w.next_attempt_at), (DeliveryStatus::Fail, None));

    // The try in flight fails and schedules a retry; the claim then fails it untried.
    s.record_outcomes(vec![Outcome {
        delivery_id: c.delivery.id.clone(),
        lease: c.lease,
        attempt: Some(attempt_row(&c, 500, DeliveryStatus::Fail, T0 + 10)),
        next: DeliveryNext::RetryAt(T0 + 20),
        disable_endpoint: false,
        retry_after_ms: None,
    }])
    .await
    .unwrap();
    assert!(s
        .claim_due(claim_req(T0 + 30, 10, 10))
        .await
        .unwrap()
        .is_empty());
    let d = delivery(&s, &msg.id, &c.endpoint.id).await.unwrap();
    assert_eq!(d.status, DeliveryStatus::Fail);
    let attempts = s
        .list_attempts(
            AttemptFilter {
                app_id: app.id.clone(),
                msg_id: Some(msg.id.clone()),
                ..Default::default()
            },
            page(10),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(attempts.len(), 1, "attempts stay; no try without a payload");

    assert!(matches!(
        s.resend(&msg.id, &ep.id, T0 + 40).await,
        Err(StoreError::Conflict(ConflictKind::PayloadExpunged))
    ));
    assert_eq!(
        s.recover_endpoint(&ep.id, T0 - 1, T0 + 100, T0 + 50)
            .await
            .unwrap(),
        0,
        "recover skips expunged messages"
    );
    assert!(matches!(
        s.expunge_message_content(&app.id, "msg_missing", T0).await,
        Err(StoreError::NotFound)
    ));
    let other = new_app(&s).await;
    assert!(matches!(
        s.expunge_message_content(&other.id, &msg.id, T0).await,
        Err(StoreError::NotFound)
    ));

    // An attempt's response body.
    let a = &attempts[0];
    s.expunge_attempt_content(&app.id, &msg.id, &a.id)
        .await
        .unwrap();
    let got = s
        .get_attempt(&app.id, &msg.id, &a.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.response, "EXPUNGED");
    assert_eq!(got.trigger, Trigger::Scheduled);
    assert!(matches!(
        s.expunge_attempt_content(&app.id, &msg.id, "atmpt_missing")
            .await,
        Err(StoreError::NotFound)
    ));
}
