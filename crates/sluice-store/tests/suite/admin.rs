//! Applications, endpoints and event types.

use std::collections::BTreeMap;

use sluice_core::model::{EventType, RetiredSecret};
use sluice_store::{ConflictKind, Order, Page, StoreError};

use super::*;

fn conflict(r: sluice_store::StoreResult<()>, what: ConflictKind) {
    match r {
        Err(StoreError::Conflict(w)) => assert_eq!(w, what),
        other => panic!("expected Conflict({what:?}), got {other:?}"),
    }
}

/// Applications: uid uniqueness per org, lookup by id or uid, update, list, NotFound.
pub async fn applications(s: Dyn) {
    let mut a = app_row(T0);
    a.uid = Some("acme".into());
    s.create_app(a.clone()).await.unwrap();
    let mut same_uid = app_row(T0 + 1);
    same_uid.uid = Some("acme".into());
    conflict(s.create_app(same_uid.clone()).await, ConflictKind::AppUid);
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
    conflict(s.update_app(edited).await, ConflictKind::AppUid);
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
        e.headers = b"sealed-headers-bytes".to_vec();
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
    conflict(
        s.create_endpoint(dup.clone()).await,
        ConflictKind::EndpointUid,
    );
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
    conflict(s.update_endpoint(clash).await, ConflictKind::EndpointUid);
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
    conflict(
        s.create_event_type(et("a.one", false)).await,
        ConflictKind::EventTypeName,
    );
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
