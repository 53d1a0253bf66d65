//! Lists: keyset pagination in both orders and directions, and every filter.

use std::collections::BTreeSet;

use sluice_core::model::{DeliveryStatus, Message};
use sluice_store::{AttemptFilter, DeliveryNext, MessageFilter, Order, Outcome, Page};

use super::*;

async fn page_of(s: &Dyn, app_id: &str, p: Page) -> (Vec<String>, bool) {
    let got = s
        .list_messages(app_id, MessageFilter::default(), p)
        .await
        .unwrap();
    (got.items.into_iter().map(|m| m.id).collect(), got.has_more)
}

/// 537 messages in pages of 50, in both orders, forwards to the end and backwards to the
/// start: every message exactly once, in order, with `has_more` right on every page.
pub async fn pagination_forward_and_backward(s: Dyn) {
    let app = new_app(&s).await;
    let mut tasks = Vec::new();
    for i in 0..537 {
        let (s, app_id) = (s.clone(), app.id.clone());
        tasks.push(tokio::spawn(async move {
            publish(&s, &app_id, "t", T0 + i).await.0.id
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.push(t.await.unwrap());
    }
    all.sort();

    for order in [Order::Ascending, Order::Descending] {
        let want: Vec<String> = match order {
            Order::Ascending => all.clone(),
            Order::Descending => all.iter().rev().cloned().collect(),
        };
        // Forwards.
        let mut pages: Vec<Vec<String>> = Vec::new();
        let mut p = Page {
            limit: 50,
            iterator: None,
            backwards: false,
            order,
        };
        loop {
            let (ids, more) = page_of(&s, &app.id, p.clone()).await;
            assert_eq!(
                more,
                pages.len() < 10,
                "has_more on forward page {}",
                pages.len()
            );
            p.iterator = ids.last().cloned();
            pages.push(ids);
            if !more {
                break;
            }
        }
        assert_eq!(pages.len(), 11);
        assert_eq!(pages[10].len(), 37);
        assert_eq!(
            pages.concat(),
            want,
            "forward pages ({order:?}) have a gap or repeat"
        );

        // Backwards from the last page to the first.
        let mut cursor = pages[10][0].clone();
        for k in (0..10).rev() {
            let p = Page {
                limit: 50,
                iterator: Some(cursor.clone()),
                backwards: true,
                order,
            };
            let (ids, more) = page_of(&s, &app.id, p).await;
            assert_eq!(ids, pages[k], "backward page {k} ({order:?})");
            assert_eq!(more, k > 0, "has_more on backward page {k}");
            cursor = ids[0].clone();
        }
    }
}

/// Paging forward while messages are appended: nothing seen twice, nothing that existed
/// before paging started is skipped.
pub async fn pagination_while_appending(s: Dyn) {
    let app = new_app(&s).await;
    let mut before = BTreeSet::new();
    for i in 0..120 {
        before.insert(publish(&s, &app.id, "t", T0 + i).await.0.id);
    }
    let mut seen = Vec::new();
    let mut p = page(25);
    let mut t = T0 + 1_000;
    loop {
        let got = s
            .list_messages(&app.id, MessageFilter::default(), p.clone())
            .await
            .unwrap();
        seen.extend(got.items.iter().map(|m| m.id.clone()));
        p.iterator = got.items.last().map(|m| m.id.clone()).or(p.iterator);
        if !got.has_more {
            break;
        }
        for _ in 0..10 {
            publish(&s, &app.id, "t", t).await;
            t += 1;
        }
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "a message was listed twice");
    assert!(before.is_subset(&unique), "a message was skipped");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
}

/// Channel, event-type and time filters of the message list.
pub async fn message_filters(s: Dyn) {
    let app = new_app(&s).await;
    let mk = |ty: &str, ch: Option<&[&str]>, t: i64| {
        let mut m = message_row(&app.id, ty, t);
        m.channels = ch.map(|c| c.iter().map(|x| x.to_string()).collect());
        m
    };
    let msgs: Vec<Message> = vec![
        mk("a", Some(&["eu"]), T0),
        mk("b", Some(&["us", "eu"]), T0 + 10),
        mk("a", None, T0 + 20),
        mk("c", Some(&["us"]), T0 + 30),
    ];
    for m in &msgs {
        s.create_message(m.clone(), None, m.created_at)
            .await
            .unwrap();
    }
    let ids = |f: MessageFilter| {
        let s = s.clone();
        let app_id = app.id.clone();
        async move {
            collect(|p| s.list_messages(&app_id, f.clone(), p))
                .await
                .into_iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        }
    };
    let of = |idx: &[usize]| idx.iter().map(|&i| msgs[i].id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(MessageFilter::default()).await, of(&[0, 1, 2, 3]));
    assert_eq!(
        ids(MessageFilter {
            channel: Some("eu".into()),
            ..Default::default()
        })
        .await,
        of(&[0, 1])
    );
    assert_eq!(
        ids(MessageFilter {
            channel: Some("asia".into()),
            ..Default::default()
        })
        .await,
        of(&[])
    );
    let types = Some(vec!["a".to_string(), "c".to_string()]);
    assert_eq!(
        ids(MessageFilter {
            event_types: types,
            ..Default::default()
        })
        .await,
        of(&[0, 2, 3])
    );
    assert_eq!(
        ids(MessageFilter {
            before: Some(T0 + 20),
            ..Default::default()
        })
        .await,
        of(&[0, 1])
    );
    assert_eq!(
        ids(MessageFilter {
            after: Some(T0 + 10),
            ..Default::default()
        })
        .await,
        of(&[2, 3])
    );
    let both = MessageFilter {
        channel: Some("us".into()),
        after: Some(T0),
        before: Some(T0 + 30),
        ..Default::default()
    };
    assert_eq!(ids(both).await, of(&[1]));
    assert!(ids(MessageFilter::default()).await.len() == 4);
    assert!(
        collect(|p| s.list_messages("app_other", MessageFilter::default(), p))
            .await
            .is_empty()
    );
}

/// Every attempt filter, alone and combined.
pub async fn attempt_filters(s: Dyn) {
    let app = new_app(&s).await;
    let e1 = new_endpoint(&s, &app.id, |_| {}).await;
    let e2 = new_endpoint(&s, &app.id, |_| {}).await;
    let mut m1 = message_row(&app.id, "order.paid", T0);
    m1.channels = Some(vec!["eu".into()]);
    s.create_message(m1.clone(), None, T0).await.unwrap();
    let (m2, _) = publish(&s, &app.id, "order.refunded", T0 + 1).await;
    let claimed = s.claim_due(claim_req(T0 + 1, 10, 10)).await.unwrap();
    assert_eq!(claimed.len(), 4);
    // One attempt per claimed delivery with distinct codes, at distinct times.
    let codes = [200, 404, 0, 503];
    let mut attempts = Vec::new();
    let mut outcomes = Vec::new();
    for (i, c) in claimed.iter().enumerate() {
        let status = if codes[i] == 200 {
            DeliveryStatus::Success
        } else {
            DeliveryStatus::Fail
        };
        let a = attempt_row(c, codes[i], status, T0 + 100 + i as i64);
        attempts.push(a.clone());
        outcomes.push(Outcome {
            delivery_id: c.delivery.id.clone(),
            lease: c.lease,
            attempt: Some(a),
            next: DeliveryNext::Failed,
            disable_endpoint: false,
        });
    }
    s.record_outcomes(outcomes).await.unwrap();
    let base = AttemptFilter {
        app_id: app.id.clone(),
        ..Default::default()
    };
    let run = |f: AttemptFilter| {
        let s = s.clone();
        async move {
            let mut ids: Vec<String> = collect(|p| s.list_attempts(f.clone(), p))
                .await
                .into_iter()
                .map(|a| a.id)
                .collect();
            ids.sort();
            ids
        }
    };
    let expect = |pred: &dyn Fn(&sluice_core::model::Attempt) -> bool| {
        let mut ids: Vec<String> = attempts
            .iter()
            .filter(|a| pred(a))
            .map(|a| a.id.clone())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(run(base.clone()).await, expect(&|_| true));
    assert_eq!(
        run(AttemptFilter {
            msg_id: Some(m1.id.clone()),
            ..base.clone()
        })
        .await,
        expect(&|a| a.msg_id == m1.id)
    );
    assert_eq!(
        run(AttemptFilter {
            endpoint_id: Some(e2.id.clone()),
            ..base.clone()
        })
        .await,
        expect(&|a| a.endpoint_id == e2.id)
    );
    assert_eq!(
        run(AttemptFilter {
            msg_id: Some(m2.id.clone()),
            endpoint_id: Some(e1.id.clone()),
            ..base.clone()
        })
        .await,
        expect(&|a| a.msg_id == m2.id && a.endpoint_id == e1.id)
    );
    assert_eq!(
        run(AttemptFilter {
            status: Some(DeliveryStatus::Success),
            ..base.clone()
        })
        .await,
        expect(&|a| a.status == DeliveryStatus::Success)
    );
    for class in [0, 200, 400, 500] {
        let got = run(AttemptFilter {
            status_code_class: Some(class),
            ..base.clone()
        })
        .await;
        assert_eq!(got.len(), 1, "class {class}");
        assert_eq!(
            got,
            expect(&|a| a.response_status_code / 100 * 100 == class)
        );
    }
    let types = Some(vec!["order.refunded".to_string()]);
    assert_eq!(
        run(AttemptFilter {
            event_types: types,
            ..base.clone()
        })
        .await,
        expect(&|a| a.msg_id == m2.id)
    );
    assert_eq!(
        run(AttemptFilter {
            channel: Some("eu".into()),
            ..base.clone()
        })
        .await,
        expect(&|a| a.msg_id == m1.id)
    );
    assert_eq!(
        run(AttemptFilter {
            before: Some(T0 + 102),
            ..base.clone()
        })
        .await,
        expect(&|a| a.created_at < T0 + 102)
    );
    assert_eq!(
        run(AttemptFilter {
            after: Some(T0 + 101),
            ..base.clone()
        })
        .await,
        expect(&|a| a.created_at > T0 + 101)
    );
    assert!(run(AttemptFilter {
        app_id: "app_other".into(),
        ..Default::default()
    })
    .await
    .is_empty());
    let one = &attempts[2];
    assert_eq!(
        s.get_attempt(&app.id, &one.msg_id, &one.id)
            .await
            .unwrap()
            .as_ref(),
        Some(one)
    );
    assert!(s
        .get_attempt(&app.id, "msg_other", &one.id)
        .await
        .unwrap()
        .is_none());
}

/// Per-endpoint and per-message delivery views, their status filter and pagination.
pub async fn delivery_views(s: Dyn) {
    let app = new_app(&s).await;
    let mut eps = Vec::new();
    for _ in 0..3 {
        eps.push(new_endpoint(&s, &app.id, |_| {}).await);
    }
    let mut msgs = Vec::new();
    for i in 0..7 {
        msgs.push(publish(&s, &app.id, "t", T0 + i).await.0);
    }
    let per_msg = s
        .list_message_deliveries(&msgs[0].id, page(2))
        .await
        .unwrap();
    assert_eq!(per_msg.items.len(), 2);
    assert!(per_msg.has_more);
    let all = deliveries_of(&s, &msgs[0].id).await;
    let mut ep_ids: Vec<String> = eps.iter().map(|e| e.id.clone()).collect();
    ep_ids.sort();
    assert_eq!(
        all.iter().map(|(e, _)| e.id.clone()).collect::<Vec<_>>(),
        ep_ids
    );
    assert!(all
        .iter()
        .all(|(e, d)| d.endpoint_id == e.id && d.msg_id == msgs[0].id));

    // Finish the first 3 messages' deliveries to eps[0] (the only ones claimable there).
    let mut req = claim_req(T0 + 2, 100, 100);
    req.exclude_endpoints = vec![eps[1].id.clone(), eps[2].id.clone()];
    let claimed = s.claim_due(req).await.unwrap();
    assert_eq!(claimed.len(), 3);
    let done = claimed
        .iter()
        .map(|c| Outcome {
            delivery_id: c.delivery.id.clone(),
            lease: c.lease,
            attempt: None,
            next: DeliveryNext::Succeeded,
            disable_endpoint: false,
        })
        .collect();
    s.record_outcomes(done).await.unwrap();
    let to_ep = deliveries_to(&s, &eps[0].id).await;
    assert_eq!(
        to_ep.iter().map(|(m, _)| m.id.clone()).collect::<Vec<_>>(),
        msgs.iter().map(|m| m.id.clone()).collect::<Vec<_>>()
    );
    let ok =
        collect(|p| s.list_endpoint_deliveries(&eps[0].id, Some(DeliveryStatus::Success), p)).await;
    assert_eq!(
        ok.iter().map(|(m, _)| m.id.clone()).collect::<Vec<_>>(),
        msgs[..3].iter().map(|m| m.id.clone()).collect::<Vec<_>>()
    );
    let pending =
        collect(|p| s.list_endpoint_deliveries(&eps[0].id, Some(DeliveryStatus::Pending), p)).await;
    assert_eq!(pending.len(), 4);
    let desc = s
        .list_endpoint_deliveries(
            &eps[0].id,
            None,
            Page {
                limit: 3,
                iterator: None,
                backwards: false,
                order: Order::Descending,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        desc.items
            .iter()
            .map(|(m, _)| m.id.clone())
            .collect::<Vec<_>>(),
        msgs[4..]
            .iter()
            .rev()
            .map(|m| m.id.clone())
            .collect::<Vec<_>>()
    );
    assert!(desc.has_more);
}
