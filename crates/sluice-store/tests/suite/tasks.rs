//! Background tasks and what they read: the task rows, the lease and its fence, each
//! batch action, dead letters, the bulk replay's selection and its count.

use serde_json::json;
use sluice_core::model::DeliveryStatus;
use sluice_core::queue::{DeliveryNext, Outcome};
use sluice_store::{
    DeadLetterFilter, ReplaySelection, Task, TaskAction, TaskFilter, TaskStatus, TaskStep,
};

use super::*;

/// A running task of `kind` created at `t`.
pub fn task_row(kind: &str, t: i64) -> Task {
    Task {
        id: ids::new_id(ids::TASK, t),
        org_id: ORG.into(),
        app_id: None,
        endpoint_id: None,
        kind: kind.into(),
        status: TaskStatus::Running,
        params: json!({"since": 1}),
        data: json!({}),
        cursor: None,
        created_at: t,
        updated_at: t,
    }
}

/// A step that adds the batch's count to `data.n` and moves the cursor to `cursor`.
pub fn step(task: &str, token: i64, cursor: &str, action: TaskAction) -> TaskStep {
    TaskStep {
        task_id: task.into(),
        token,
        cursor: Some(cursor.into()),
        action,
        data: Box::new(|d, n| {
            let before = d["n"].as_u64().unwrap_or(0);
            d["n"] = json!(before + n);
        }),
        finish: None,
    }
}

/// Publishes `n` messages of `event_type` at `t`, `t + 1`, …, claims them and records one
/// failed attempt with `code` each at `t + 100`: `n` dead letters of `ep`.
pub async fn dead_letters(s: &Dyn, app: &str, event_type: &str, n: usize, code: i32, t: i64) {
    for i in 0..n {
        publish(s, app, event_type, t + i as i64).await;
    }
    let claimed = s.claim_due(claim_req(t + 100, 250, 250)).await.unwrap();
    assert_eq!(claimed.len(), n, "every new delivery is claimed");
    let outcomes = claimed
        .iter()
        .map(|c| Outcome {
            delivery_id: c.delivery.id.clone(),
            lease: c.lease,
            attempt: Some(attempt_row(c, code, DeliveryStatus::Fail, t + 100)),
            next: DeliveryNext::Failed,
            disable_endpoint: false,
            retry_after_ms: None,
        })
        .collect();
    s.record_outcomes(outcomes).await.unwrap();
}

/// Tasks are kept per organisation and listed with filters and pages.
pub async fn tasks_crud_and_list(s: Dyn) {
    let mut made = Vec::new();
    for (i, kind) in ["endpoint.recover", "endpoint.replay", "endpoint.recover"]
        .iter()
        .enumerate()
    {
        let mut t = task_row(kind, T0 + i as i64);
        if i == 1 {
            t.status = TaskStatus::Finished;
        }
        s.create_task(t.clone()).await.unwrap();
        made.push(t);
    }
    assert!(matches!(
        s.create_task(made[0].clone()).await,
        Err(sluice_store::StoreError::Conflict(
            sluice_store::ConflictKind::Id
        ))
    ));
    assert_eq!(
        s.get_task(ORG, &made[0].id).await.unwrap().as_ref(),
        Some(&made[0])
    );
    assert_eq!(s.get_task("org_other", &made[0].id).await.unwrap(), None);

    let list = |f: TaskFilter, p: Page| {
        let s = s.clone();
        async move { s.list_tasks(ORG, f, p).await.unwrap() }
    };
    let all = list(TaskFilter::default(), page(10)).await;
    assert_eq!(
        all.items.iter().map(|t| &t.id).collect::<Vec<_>>(),
        made.iter().map(|t| &t.id).collect::<Vec<_>>()
    );
    let recover = TaskFilter {
        kind: Some("endpoint.recover".into()),
        ..TaskFilter::default()
    };
    assert_eq!(list(recover, page(10)).await.items.len(), 2);
    let finished = TaskFilter {
        status: Some(TaskStatus::Finished),
        ..TaskFilter::default()
    };
    let got = list(finished, page(10)).await.items;
    assert_eq!((got.len(), got[0].id.as_str()), (1, made[1].id.as_str()));
    let first = list(TaskFilter::default(), page(2)).await;
    assert!(first.has_more);
    let mut next = page(2);
    next.iterator = Some(first.items[1].id.clone());
    let rest = list(TaskFilter::default(), next).await;
    assert_eq!((rest.items.len(), rest.has_more), (1, false));
    assert!(s
        .list_tasks("org_other", TaskFilter::default(), page(10))
        .await
        .unwrap()
        .items
        .is_empty());

    // Purging drops ended tasks older than the bound, never running ones.
    assert_eq!(s.purge_tasks(T0 + 1).await.unwrap(), 0);
    assert_eq!(s.purge_tasks(T0 + 100_000).await.unwrap(), 1);
    assert_eq!(s.get_task(ORG, &made[1].id).await.unwrap(), None);
    let left = list(TaskFilter::default(), page(10)).await.items;
    assert_eq!(left.len(), 2);
}

/// A claim leases one task; a second claimer gets nothing while the lease runs, takes it
/// over once it expires, and from then on the first holder's batches are refused.
pub async fn task_lease_is_fenced(s: Dyn) {
    let t = task_row("endpoint.recover", T0);
    s.create_task(t.clone()).await.unwrap();
    let a = s
        .claim_task("node-a", T0, 1_000)
        .await
        .unwrap()
        .expect("claimed");
    assert_eq!(a.task.id, t.id);
    assert!(s
        .claim_task("node-b", T0 + 10, 1_000)
        .await
        .unwrap()
        .is_none());

    let done = s
        .advance_task(
            step(&t.id, a.token, "c1", TaskAction::None),
            T0 + 500,
            1_000,
        )
        .await
        .unwrap();
    assert_eq!(done, Some(0));
    // The batch renewed the lease to T0 + 1500.
    assert!(s
        .claim_task("node-b", T0 + 1_200, 1_000)
        .await
        .unwrap()
        .is_none());
    let b = s
        .claim_task("node-b", T0 + 1_500, 1_000)
        .await
        .unwrap()
        .expect("taken over after expiry");
    assert!(b.token > a.token);
    assert_eq!(
        b.task.cursor.as_deref(),
        Some("c1"),
        "resumes after the last batch"
    );

    // The old holder's late batch is refused and changes nothing.
    let late = s
        .advance_task(
            step(&t.id, a.token, "c9", TaskAction::None),
            T0 + 1_600,
            1_000,
        )
        .await
        .unwrap();
    assert_eq!(late, None);
    assert_eq!(
        s.get_task(ORG, &t.id)
            .await
            .unwrap()
            .unwrap()
            .cursor
            .as_deref(),
        Some("c1")
    );

    let mut last = step(&t.id, b.token, "c2", TaskAction::None);
    last.finish = Some(TaskStatus::Finished);
    s.advance_task(last, T0 + 1_700, 1_000).await.unwrap();
    let end = s.get_task(ORG, &t.id).await.unwrap().unwrap();
    assert_eq!(
        (end.status, end.cursor.as_deref(), end.updated_at),
        (TaskStatus::Finished, Some("c2"), T0 + 1_700)
    );
    assert_eq!(end.data, json!({"n": 0}));
    assert!(s
        .claim_task("node-c", T0 + 99_000, 1_000)
        .await
        .unwrap()
        .is_none());
}

/// Each action changes exactly what it says, and reports how many items it changed.
pub async fn task_actions(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    dead_letters(&s, &app.id, "a", 3, 500, T0).await;
    let dead = s
        .list_dead_letters(
            DeadLetterFilter {
                app_id: app.id.clone(),
                endpoint_id: Some(ep.id.clone()),
                ..DeadLetterFilter::default()
            },
            page(10),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(dead.len(), 3);
    // One of them loses its payload: it cannot be re-queued.
    s.expunge_message_content(&app.id, &dead[2].msg_id, T0 + 200)
        .await
        .unwrap();
    let t = task_row("endpoint.recover", T0);
    s.create_task(t.clone()).await.unwrap();
    let c = s.claim_task("n", T0 + 300, 60_000).await.unwrap().unwrap();
    let ids: Vec<String> = dead.iter().map(|d| d.delivery_id.clone()).collect();
    let requeue = TaskAction::Requeue {
        delivery_ids: ids.clone(),
        from: vec![DeliveryStatus::Fail],
    };
    let n = s
        .advance_task(step(&t.id, c.token, "x", requeue.clone()), T0 + 300, 60_000)
        .await
        .unwrap();
    assert_eq!(n, Some(2));
    assert!(
        signalled(&s, PATIENCE).await,
        "re-queued work wakes the dispatcher"
    );
    let d0 = delivery(&s, &dead[0].msg_id, &ep.id).await.unwrap();
    assert_eq!(
        (d0.status, d0.next_attempt_at, d0.trigger, d0.round_attempts),
        (
            DeliveryStatus::Pending,
            Some(T0 + 300),
            sluice_core::model::Trigger::Manual,
            0
        )
    );
    // A second application of the same ids finds them pending: nothing is queued twice.
    let again = s
        .advance_task(step(&t.id, c.token, "y", requeue), T0 + 301, 60_000)
        .await
        .unwrap();
    assert_eq!(again, Some(0));
    assert_eq!(
        s.get_task(ORG, &t.id).await.unwrap().unwrap().data,
        json!({"n": 2})
    );

    // Missing deliveries: a second endpoint gets one per message that still has its
    // payload; the first endpoint already has one of each.
    let ep2 = new_endpoint(&s, &app.id, |_| {}).await;
    let heads = s
        .list_message_heads(&app.id, T0, T0 + 1_000, None, 10)
        .await
        .unwrap();
    assert_eq!(heads.len(), 3);
    assert_eq!(
        heads.iter().filter(|h| h.expunged).count(),
        1,
        "the expunged message shows as such"
    );
    let after_first = s
        .list_message_heads(&app.id, T0, T0 + 1_000, Some(heads[0].id.clone()), 10)
        .await
        .unwrap();
    assert_eq!(after_first.len(), 2);
    let msg_ids: Vec<String> = heads.iter().map(|h| h.id.clone()).collect();
    for (endpoint, want) in [(&ep2.id, 2), (&ep2.id, 0), (&ep.id, 0)] {
        let action = TaskAction::CreateDeliveries {
            app_id: app.id.clone(),
            endpoint_id: endpoint.clone(),
            msg_ids: msg_ids.clone(),
        };
        let n = s
            .advance_task(step(&t.id, c.token, "z", action), T0 + 400, 60_000)
            .await
            .unwrap();
        assert_eq!(n, Some(want));
    }
    let created = delivery(&s, &msg_ids[0], &ep2.id).await.unwrap();
    assert_eq!(
        (created.status, created.trigger),
        (DeliveryStatus::Pending, sluice_core::model::Trigger::Manual)
    );

    // Expunge: counts only messages that still had a payload.
    let action = TaskAction::Expunge {
        app_id: app.id.clone(),
        msg_ids: msg_ids.clone(),
    };
    let n = s
        .advance_task(step(&t.id, c.token, "e", action), T0 + 500, 60_000)
        .await
        .unwrap();
    assert_eq!(n, Some(2));
    for id in &msg_ids {
        let m = s.get_message(&app.id, id).await.unwrap().unwrap();
        assert!(m.expunged_at.is_some() && m.payload.is_empty());
    }
}

/// Dead letters: per endpoint and per application, filtered by failure time, event type
/// and the last attempt's status code.
pub async fn dead_letter_filters(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |e| e.event_types = Some(vec!["a".into()])).await;
    dead_letters(&s, &app.id, "a", 2, 503, T0).await;
    let ep2 = new_endpoint(&s, &app.id, |e| e.event_types = Some(vec!["b".into()])).await;
    dead_letters(&s, &app.id, "b", 3, 0, T0 + 1_000).await;
    // Not dead: delivered.
    publish(&s, &app.id, "a", T0 + 2_000).await;
    let c = s.claim_due(claim_req(T0 + 2_000, 10, 10)).await.unwrap();
    s.record_outcomes(vec![Outcome {
        delivery_id: c[0].delivery.id.clone(),
        lease: c[0].lease,
        attempt: Some(attempt_row(&c[0], 200, DeliveryStatus::Success, T0 + 2_001)),
        next: DeliveryNext::Succeeded,
        disable_endpoint: false,
        retry_after_ms: None,
    }])
    .await
    .unwrap();

    let list = |f: DeadLetterFilter| {
        let s = s.clone();
        async move { s.list_dead_letters(f, page(50)).await.unwrap().items }
    };
    let base = DeadLetterFilter {
        app_id: app.id.clone(),
        ..DeadLetterFilter::default()
    };
    let all = list(base.clone()).await;
    assert_eq!(all.len(), 5);
    let first = &all[0];
    let la = first.last_attempt.as_ref().expect("last attempt");
    assert_eq!(
        (
            first.endpoint_id.as_str(),
            first.event_type.as_str(),
            la.response_status_code
        ),
        (ep.id.as_str(), "a", 503)
    );
    assert_eq!(first.failed_at, T0 + 100);
    let of_ep2 = list(DeadLetterFilter {
        endpoint_id: Some(ep2.id.clone()),
        ..base.clone()
    })
    .await;
    assert_eq!(of_ep2.len(), 3);
    assert!(of_ep2.iter().all(|d| d.endpoint_id == ep2.id));
    let of_other_app = list(DeadLetterFilter {
        app_id: "app_other".into(),
        endpoint_id: Some(ep2.id.clone()),
        ..DeadLetterFilter::default()
    })
    .await;
    assert!(of_other_app.is_empty());
    let by_type = list(DeadLetterFilter {
        event_types: vec!["a".into()],
        ..base.clone()
    })
    .await;
    assert_eq!(by_type.len(), 2);
    let by_code = list(DeadLetterFilter {
        status_code: Some(503),
        ..base.clone()
    })
    .await;
    assert_eq!(by_code.len(), 2);
    let no_response = list(DeadLetterFilter {
        status_code_class: Some(0),
        ..base.clone()
    })
    .await;
    assert_eq!(no_response.len(), 3);
    let class5 = list(DeadLetterFilter {
        status_code_class: Some(500),
        ..base.clone()
    })
    .await;
    assert_eq!(class5.len(), 2);
    let late = list(DeadLetterFilter {
        failed_after: Some(T0 + 500),
        ..base.clone()
    })
    .await;
    assert_eq!(late.len(), 3);
    let early = list(DeadLetterFilter {
        failed_before: Some(T0 + 500),
        ..base.clone()
    })
    .await;
    assert_eq!(early.len(), 2);
    // Newest first when asked, paged.
    let mut desc = page(2);
    desc.order = Order::Descending;
    let p1 = s
        .list_dead_letters(base.clone(), desc.clone())
        .await
        .unwrap();
    assert!(p1.has_more);
    assert_eq!(p1.items[0].delivery_id, all[4].delivery_id);
    desc.iterator = Some(p1.items[1].delivery_id.clone());
    let p2 = s.list_dead_letters(base, desc).await.unwrap();
    assert_eq!(p2.items[0].delivery_id, all[2].delivery_id);
}

/// The bulk replay's selection and its count agree, for each filter.
pub async fn replay_selection_matches_its_count(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |_| {}).await;
    dead_letters(&s, &app.id, "a", 3, 500, T0).await;
    dead_letters(&s, &app.id, "b", 2, 404, T0 + 1_000).await;
    let all = ReplaySelection {
        since: T0,
        until: T0 + 10_000,
        finished_by: T0 + 10_000,
        ..ReplaySelection::default()
    };
    let cases = [
        (all.clone(), 5),
        (
            ReplaySelection {
                event_types: vec!["b".into()],
                ..all.clone()
            },
            2,
        ),
        (
            ReplaySelection {
                status_code_class: Some(500),
                ..all.clone()
            },
            3,
        ),
        (
            ReplaySelection {
                status: Some(DeliveryStatus::Success),
                ..all.clone()
            },
            0,
        ),
        (
            ReplaySelection {
                since: T0 + 500,
                ..all.clone()
            },
            2,
        ),
        (
            ReplaySelection {
                finished_by: T0 + 500,
                ..all.clone()
            },
            3,
        ),
        (
            ReplaySelection {
                channel: Some("nope".into()),
                ..all.clone()
            },
            0,
        ),
        (
            ReplaySelection {
                tag: Some("nope".into()),
                ..all.clone()
            },
            0,
        ),
    ];
    for (sel, want) in cases {
        let count = s.count_replayable(&ep.id, sel.clone()).await.unwrap();
        let mut listed = Vec::new();
        let mut after = None;
        loop {
            let page = s
                .list_replayable(&ep.id, sel.clone(), after.clone(), 2)
                .await
                .unwrap();
            if page.is_empty() {
                break;
            }
            after = page.last().map(|(_, m)| m.clone());
            listed.extend(page);
        }
        assert_eq!((count, listed.len()), (want, want as usize), "{sel:?}");
    }
}

/// Usage counts of an application over a window.
pub async fn app_usage_counts(s: Dyn) {
    let app = new_app(&s).await;
    new_endpoint(&s, &app.id, |_| {}).await;
    dead_letters(&s, &app.id, "a", 2, 500, T0).await;
    publish(&s, &app.id, "a", T0 + 5_000).await;
    let u = s.app_usage(&app.id, T0, T0 + 1_000).await.unwrap();
    assert_eq!(
        (
            u.messages,
            u.message_destinations,
            u.attempts_fail,
            u.attempts_success
        ),
        (2, 2, 2, 0)
    );
    let u = s.app_usage(&app.id, T0, T0 + 10_000).await.unwrap();
    assert_eq!((u.messages, u.message_destinations), (3, 3));
}

/// A bulk expunge: the listed messages of the application lose their payloads in one
/// write; unknown ones, already expunged ones and another application's are left alone.
pub async fn expunge_messages_in_one_write(s: Dyn) {
    let app = new_app(&s).await;
    let other = app_row(T0 + 1);
    s.create_app(other.clone()).await.unwrap();
    let (m1, _) = publish(&s, &app.id, "a", T0).await;
    let (m2, _) = publish(&s, &app.id, "a", T0 + 1).await;
    let (m3, _) = publish(&s, &app.id, "a", T0 + 2).await;
    let (theirs, _) = publish(&s, &other.id, "a", T0 + 3).await;
    s.expunge_message_content(&app.id, &m2.id, T0 + 5)
        .await
        .unwrap();
    let ids = vec![
        m1.id.clone(),
        m2.id.clone(),
        theirs.id.clone(),
        "msg_nope".into(),
    ];
    assert_eq!(
        s.expunge_messages_content(&app.id, ids, T0 + 10)
            .await
            .unwrap(),
        1
    );
    let get = |app: String, id: String| {
        let s = s.clone();
        async move { s.get_message(&app, &id).await.unwrap().unwrap() }
    };
    let gone = get(app.id.clone(), m1.id.clone()).await;
    assert_eq!(
        (gone.payload.as_str(), gone.expunged_at),
        ("", Some(T0 + 10))
    );
    assert_eq!(
        get(app.id.clone(), m2.id.clone()).await.expunged_at,
        Some(T0 + 5)
    );
    assert!(!get(app.id.clone(), m3.id.clone()).await.payload.is_empty());
    assert!(!get(other.id.clone(), theirs.id.clone())
        .await
        .payload
        .is_empty());
}
