//! Attempt lists and their filters; the per-endpoint and per-message delivery views.

use sluice_core::model::DeliveryStatus;
use sluice_core::queue::{DeliveryNext, Outcome};
use sluice_store::{AttemptFilter, Order, Page};

use super::*;

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
            retry_after_ms: None,
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
    let no_types = AttemptFilter {
        event_types: Some(vec![]),
        ..base.clone()
    };
    assert_eq!(
        run(no_types).await,
        expect(&|_| true),
        "an empty list is no filter"
    );
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
            retry_after_ms: None,
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
