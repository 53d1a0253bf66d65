//! Lists: keyset pagination in both orders and directions, and every filter.

use std::collections::BTreeSet;

use sluice_core::model::Message;
use sluice_store::{MessageFilter, Order, Page};

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
    // An empty event-type list is no filter (as on endpoints).
    let no_types = MessageFilter {
        event_types: Some(vec![]),
        ..Default::default()
    };
    assert_eq!(ids(no_types).await, of(&[0, 1, 2, 3]));
    assert!(
        collect(|p| s.list_messages("app_other", MessageFilter::default(), p))
            .await
            .is_empty()
    );
}
