//! Retention: payload expiry and pruning remove only what is past its cut-off, a bounded
//! batch at a time, and never a message that still has a delivery to make.

use sluice_core::model::{DeliveryStatus, Trigger};
use sluice_core::queue::{Claimed, DeliveryNext, Outcome};
use sluice_store::{AttemptFilter, PrunedMessages};

use super::*;

/// Publishes a message created at `t` whose payload expires at `expires`.
async fn publish_expiring(s: &Dyn, app_id: &str, t: i64, expires: Option<i64>) -> Message {
    let mut msg = message_row(app_id, "t", t);
    msg.payload_expires_at = expires;
    msg.trace_context = Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into());
    s.create_message(msg.clone(), None, t).await.unwrap();
    msg
}

pub async fn expiry_removes_only_due_payloads_in_batches(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    let at = T0 + 1_000;
    let mut due = Vec::new();
    for _ in 0..5 {
        due.push(publish_expiring(&s, &app.id, T0, Some(at)).await);
    }
    let later = publish_expiring(&s, &app.id, T0, Some(at + 1)).await;
    let kept = publish_expiring(&s, &app.id, T0, None).await;
    let stored = s.get_message(&app.id, &later.id).await.unwrap().unwrap();
    assert_eq!(stored.payload_expires_at, Some(at + 1));
    assert_eq!(
        stored.trace_context, later.trace_context,
        "stored with the message"
    );

    assert_eq!(
        s.expire_payloads(at - 1, 10).await.unwrap(),
        0,
        "none due yet"
    );
    // A batch limit of 2 is honoured: 2, 2, 1, then nothing left.
    let mut batches = Vec::new();
    loop {
        let n = s.expire_payloads(at, 2).await.unwrap();
        batches.push(n);
        if n < 2 {
            break;
        }
    }
    assert_eq!(batches, vec![2, 2, 1]);
    assert_eq!(
        s.expire_payloads(at, 2).await.unwrap(),
        0,
        "done ones are not redone"
    );

    for m in &due {
        let got = s.get_message(&app.id, &m.id).await.unwrap().unwrap();
        assert_eq!((got.payload.as_str(), got.expunged_at), ("", Some(at)));
        assert_eq!(got.event_type, m.event_type, "the metadata stays");
        let d = delivery(&s, &m.id, &ep.id).await;
        assert_eq!(
            d.status,
            DeliveryStatus::Fail,
            "an expired payload cannot be sent"
        );
    }
    for m in [&later, &kept] {
        let got = s.get_message(&app.id, &m.id).await.unwrap().unwrap();
        assert_eq!(
            (got.payload.as_str(), got.expunged_at),
            (m.payload.as_str(), None)
        );
        assert_eq!(
            delivery(&s, &m.id, &ep.id).await.status,
            DeliveryStatus::Pending
        );
    }
    // The payload just past the cut goes one millisecond later; the one without an
    // expiry never does.
    assert_eq!(s.expire_payloads(at + 1, 10).await.unwrap(), 1);
    assert_eq!(s.expire_payloads(i64::MAX / 2, 10).await.unwrap(), 0);
}

async fn delivery(s: &Dyn, msg_id: &str, ep_id: &str) -> Delivery {
    deliveries_of(s, msg_id)
        .await
        .into_iter()
        .find(|(e, _)| e.id == ep_id)
        .map(|(_, d)| d)
        .expect("a delivery to the endpoint")
}

/// Records one try of `c` at `t`: a success, or a failure retried at `retry_at`.
async fn record(s: &Dyn, c: &Claimed, t: i64, retry_at: Option<i64>) {
    let (code, status, next) = match retry_at {
        None => (200, DeliveryStatus::Success, DeliveryNext::Succeeded),
        Some(at) => (500, DeliveryStatus::Fail, DeliveryNext::RetryAt(at)),
    };
    s.record_outcomes(vec![Outcome {
        delivery_id: c.delivery.id.clone(),
        lease: c.lease,
        attempt: Some(attempt_row(c, code, status, t)),
        next,
        disable_endpoint: false,
        retry_after_ms: None,
    }])
    .await
    .unwrap();
}

pub async fn pruning_removes_only_old_finished_rows_in_batches(s: Dyn) {
    let app = new_app(&s).await;
    let _ep = new_endpoint(&s, &app.id, |_| {}).await;
    let cut = T0 + 10_000;
    // Old and finished: these go. One has tags, whose rows go with it.
    let mut old = Vec::new();
    for i in 0..3 {
        let mut m = message_row(&app.id, "t", T0);
        if i == 0 {
            m.tags = Some(vec!["gone".into()]);
        }
        s.create_message(m.clone(), None, T0).await.unwrap();
        old.push(m);
    }
    // Old, with a delivery still to make (a retry after the cut): stays.
    let (pending, _) = publish(&s, &app.id, "t", T0).await;
    // Old, but delivered at the cut: its last try is not old, so it stays.
    let (recent, _) = publish(&s, &app.id, "t", T0).await;

    let claimed = s.claim_due(claim_req(T0 + 1, 10, 10)).await.unwrap();
    assert_eq!(claimed.len(), 5);
    for c in &claimed {
        let retry = if c.delivery.msg_id == pending.id {
            Some(cut + 100_000)
        } else if c.delivery.msg_id == recent.id {
            Some(cut)
        } else {
            None
        };
        record(&s, c, T0 + 1, retry).await;
    }
    // Created at the cut itself (just inside it), finished: stays.
    let (inside, _) = publish(&s, &app.id, "t", cut).await;
    let claimed = s.claim_due(claim_req(cut, 10, 10)).await.unwrap();
    assert_eq!(claimed.len(), 2, "the recent retry and the new message");
    for c in &claimed {
        record(&s, c, cut, None).await;
    }

    // Attempts made before the cut, two a batch: the five first tries, in 2, 2, 1.
    let mut batches = Vec::new();
    loop {
        let n = s.prune_attempts(cut, 2).await.unwrap();
        batches.push(n);
        if n < 2 {
            break;
        }
    }
    assert_eq!(batches, vec![2, 2, 1]);

    // Messages, a window of two at a time: five old ones examined, three deleted.
    let mut after = String::new();
    let mut windows: Vec<PrunedMessages> = Vec::new();
    loop {
        let w = s.prune_messages(cut, &after, 2).await.unwrap();
        assert!(w.messages <= 2, "a window deletes at most its size");
        windows.push(w.clone());
        match w.next {
            Some(next) => after = next,
            None => break,
        }
        assert!(windows.len() < 10, "the walk ends");
    }
    assert_eq!(windows.len(), 3, "windows of 2, 2 and 1 messages");
    let total: u64 = windows.iter().map(|w| w.messages).sum();
    let deliveries: u64 = windows.iter().map(|w| w.deliveries).sum();
    assert_eq!((total, deliveries), (3, 3));

    for m in &old {
        assert!(s.get_message(&app.id, &m.id).await.unwrap().is_none());
        assert!(deliveries_of(&s, &m.id).await.is_empty());
    }
    for m in [&pending, &recent, &inside] {
        assert!(
            s.get_message(&app.id, &m.id).await.unwrap().is_some(),
            "kept"
        );
        assert_eq!(deliveries_of(&s, &m.id).await.len(), 1);
    }
    let tagged = s
        .list_messages(
            &app.id,
            sluice_store::MessageFilter {
                tag: Some("gone".into()),
                ..Default::default()
            },
            page(10),
        )
        .await
        .unwrap();
    assert!(tagged.items.is_empty());
    let attempts = s
        .list_attempts(
            AttemptFilter {
                app_id: app.id.clone(),
                ..Default::default()
            },
            page(50),
        )
        .await
        .unwrap()
        .items;
    let mut left: Vec<(String, i64)> = attempts
        .iter()
        .map(|a| (a.msg_id.clone(), a.created_at))
        .collect();
    left.sort();
    let mut want = vec![(recent.id.clone(), cut), (inside.id.clone(), cut)];
    want.sort();
    assert_eq!(left, want, "only the tries made at the cut stay");
    assert!(attempts.iter().all(|a| a.trigger == Trigger::Scheduled));

    // The pending message's delivery is still claimable when its retry is due.
    let due = s.claim_due(claim_req(cut + 100_000, 10, 10)).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].delivery.msg_id, pending.id);
    // A second pass finds nothing more.
    assert_eq!(s.prune_attempts(cut, 2).await.unwrap(), 0);
    let again = s.prune_messages(cut, "", 10).await.unwrap();
    assert_eq!(again.messages, 0);
}
