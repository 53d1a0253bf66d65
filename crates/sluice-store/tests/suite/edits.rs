//! `edit_endpoint`: a read-modify-write of one endpoint that holds the row, so concurrent
//! edits of different fields all survive (the API's PATCH, PUT, header and secret routes
//! rely on it).

use std::error::Error;

use sluice_store::{ConflictKind, StoreError};

use super::*;

/// Concurrent edits each setting their own metadata key: every key is there afterwards.
pub async fn concurrent_edits_all_survive(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |e| e.metadata.clear()).await;
    const EDITS: usize = 40;
    let edits = (0..EDITS).map(|i| {
        let s = s.clone();
        let (app_id, ep_id) = (app.id.clone(), ep.id.clone());
        tokio::spawn(async move {
            s.edit_endpoint(
                &app_id,
                &ep_id,
                Box::new(move |e| {
                    e.metadata.insert(format!("k{i}"), i.to_string());
                    Ok(())
                }),
            )
            .await
        })
    });
    for task in edits.collect::<Vec<_>>() {
        task.await.expect("edit task").expect("edit");
    }
    let stored = s.get_endpoint(&app.id, &ep.id).await.unwrap().unwrap();
    assert_eq!(
        stored.metadata.len(),
        EDITS,
        "an edit was lost: {:?}",
        stored.metadata.keys().collect::<Vec<_>>()
    );
}

/// What one edit returns and refuses: the row as written, `Declined` with the closure's own
/// reason (and nothing written), `NotFound` outside the app, and the uid rule.
pub async fn edit_outcomes(s: Dyn) {
    let app = new_app(&s).await;
    let ep = new_endpoint(&s, &app.id, |e| e.uid = Some("first".into())).await;
    let other = new_endpoint(&s, &app.id, |e| e.uid = Some("second".into())).await;

    let written = s
        .edit_endpoint(
            &app.id,
            &ep.id,
            Box::new(|e| {
                e.url = "https://example.com/v2".into();
                e.updated_at = T0 + 5;
                Ok(())
            }),
        )
        .await
        .unwrap();
    assert_eq!(written.url, "https://example.com/v2");
    assert_eq!(
        s.get_endpoint(&app.id, &ep.id).await.unwrap(),
        Some(written.clone())
    );

    let declined = s
        .edit_endpoint(
            &app.id,
            &ep.id,
            Box::new(|e| {
                e.url = "https://example.com/never".into();
                Err("too many secrets".into())
            }),
        )
        .await;
    match declined {
        Err(StoreError::Declined(why)) => assert_eq!(why.to_string(), "too many secrets"),
        other => panic!("expected Declined, got {other:?}"),
    }
    assert_eq!(
        s.get_endpoint(&app.id, &ep.id).await.unwrap(),
        Some(written),
        "a declined edit wrote something"
    );

    let other_app = new_app(&s).await;
    let missing = s
        .edit_endpoint(&other_app.id, &ep.id, Box::new(|_| Ok(())))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");

    let clash = s
        .edit_endpoint(
            &app.id,
            &other.id,
            Box::new(|e| {
                e.uid = Some("first".into());
                Ok(())
            }),
        )
        .await;
    match clash {
        Err(StoreError::Conflict(kind)) => assert_eq!(kind, ConflictKind::EndpointUid),
        Err(e) => panic!("expected Conflict(EndpointUid), got {e}: {:?}", e.source()),
        Ok(_) => panic!("expected Conflict(EndpointUid), got Ok"),
    }
}

/// Concurrent edits of one application all survive (the row is held for each edit, so
/// none writes back a stale copy); an edit outside the org is `NotFound`, a refused one
/// `Declined` with nothing written, and a uid in use `Conflict(AppUid)`.
pub async fn concurrent_app_edits_all_survive(s: Dyn) {
    let mut app = new_app(&s).await;
    app.metadata.clear();
    s.update_app(app.clone()).await.unwrap();
    const EDITS: usize = 40;
    let edits = (0..EDITS).map(|i| {
        let (s, app_id) = (s.clone(), app.id.clone());
        tokio::spawn(async move {
            s.edit_app(
                ORG,
                &app_id,
                Box::new(move |a| {
                    a.metadata.insert(format!("k{i}"), i.to_string());
                    Ok(())
                }),
            )
            .await
        })
    });
    for task in edits.collect::<Vec<_>>() {
        task.await.expect("edit task").expect("edit");
    }
    let stored = s.get_app(ORG, &app.id).await.unwrap().unwrap();
    assert_eq!(stored.metadata.len(), EDITS, "an edit was lost");

    let ok = |_: &mut sluice_core::model::Application| Ok(());
    assert!(matches!(
        s.edit_app("org_other", &app.id, Box::new(ok)).await,
        Err(sluice_store::StoreError::NotFound)
    ));
    let refused = s
        .edit_app(
            ORG,
            &app.id,
            Box::new(|a| {
                a.name = "never".into();
                Err("no".into())
            }),
        )
        .await;
    assert!(matches!(
        refused,
        Err(sluice_store::StoreError::Declined(_))
    ));
    assert_eq!(s.get_app(ORG, &app.id).await.unwrap().unwrap().name, "Acme");

    let mut other = app_row(T0 + 1);
    other.uid = Some("taken".into());
    s.create_app(other).await.unwrap();
    let clash = s
        .edit_app(
            ORG,
            &app.id,
            Box::new(|a| {
                a.uid = Some("taken".into());
                Ok(())
            }),
        )
        .await;
    assert!(matches!(
        clash,
        Err(sluice_store::StoreError::Conflict(
            sluice_store::ConflictKind::AppUid
        ))
    ));
}

/// Concurrent edits of one event type all survive; a missing one is `NotFound`.
pub async fn concurrent_event_type_edits_all_survive(s: Dyn) {
    let et = sluice_core::model::EventType {
        org_id: ORG.into(),
        name: "user.signup".into(),
        description: String::new(),
        schemas: Some(serde_json::json!({})),
        archived: false,
        deprecated: false,
        feature_flag: None,
        created_at: T0,
        updated_at: T0,
    };
    s.create_event_type(et).await.unwrap();
    const EDITS: usize = 30;
    let edits = (0..EDITS).map(|i| {
        let s = s.clone();
        tokio::spawn(async move {
            s.edit_event_type(
                ORG,
                "user.signup",
                Box::new(move |et| {
                    let schemas = et.schemas.get_or_insert_with(|| serde_json::json!({}));
                    schemas[format!("{i}")] = serde_json::json!({"type": "object"});
                    Ok(())
                }),
            )
            .await
        })
    });
    for task in edits.collect::<Vec<_>>() {
        task.await.expect("edit task").expect("edit");
    }
    let stored = s.get_event_type(ORG, "user.signup").await.unwrap().unwrap();
    let kept = stored.schemas.unwrap().as_object().map_or(0, |m| m.len());
    assert_eq!(kept, EDITS, "an edit was lost");
    assert!(matches!(
        s.edit_event_type(ORG, "missing", Box::new(|_| Ok(())))
            .await,
        Err(sluice_store::StoreError::NotFound)
    ));
}
