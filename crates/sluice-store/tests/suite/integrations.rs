//! Integrations: created, read only through their own application, listed in id order,
//! updated, key rotated (old digest released), deleted alone or with their application.

use sluice_core::ids;
use sluice_core::model::Integration;
use sluice_store::StoreError;

use super::*;

fn integration(app_id: &str, t: i64, name: &str) -> Integration {
    Integration {
        id: ids::new_id(ids::INTEGRATION, t),
        app_id: app_id.into(),
        name: name.into(),
        feature_flags: vec!["beta".into()],
        key: vec![7, 7, 7],
        created_at: t,
        updated_at: t,
    }
}

pub async fn integrations_crud(s: Dyn) {
    let app = new_app(&s).await;
    let other = new_app(&s).await;
    let a = integration(&app.id, T0, "zapier");
    let b = integration(&app.id, T0 + 1, "make");
    s.create_integration(a.clone(), "hash-a".into())
        .await
        .unwrap();
    s.create_integration(b.clone(), "hash-b".into())
        .await
        .unwrap();
    let dup = integration(&app.id, T0 + 2, "dup");
    assert!(matches!(
        s.create_integration(dup, "hash-a".into()).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.get_integration(&app.id, &a.id).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(s.get_integration(&other.id, &a.id).await.unwrap(), None);
    let listed = s.list_integrations(&app.id, page(1)).await.unwrap();
    assert_eq!(
        (listed.items.clone(), listed.has_more),
        (vec![a.clone()], true)
    );
    assert!(s
        .list_integrations(&other.id, page(10))
        .await
        .unwrap()
        .items
        .is_empty());

    let mut renamed = a.clone();
    renamed.name = "zapier-2".into();
    renamed.feature_flags = vec![];
    renamed.updated_at = T0 + 5;
    s.update_integration(renamed.clone()).await.unwrap();
    assert_eq!(
        s.get_integration(&app.id, &a.id).await.unwrap(),
        Some(renamed.clone())
    );
    let mut foreign = renamed.clone();
    foreign.app_id = other.id.clone();
    assert!(matches!(
        s.update_integration(foreign).await,
        Err(StoreError::NotFound)
    ));

    s.rotate_integration_key(&app.id, &a.id, vec![8, 8], "hash-a2".into(), T0 + 9)
        .await
        .unwrap();
    let rotated = s.get_integration(&app.id, &a.id).await.unwrap().unwrap();
    assert_eq!((rotated.key, rotated.updated_at), (vec![8, 8], T0 + 9));
    // The old digest is free again; the new one is taken.
    let c = integration(&app.id, T0 + 3, "c");
    s.create_integration(c.clone(), "hash-a".into())
        .await
        .unwrap();
    assert!(matches!(
        s.rotate_integration_key(&app.id, &c.id, vec![1], "hash-a2".into(), T0)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.rotate_integration_key(&other.id, &a.id, vec![1], "x".into(), T0)
            .await,
        Err(StoreError::NotFound)
    ));

    s.delete_integration(&app.id, &b.id).await.unwrap();
    assert!(matches!(
        s.delete_integration(&app.id, &b.id).await,
        Err(StoreError::NotFound)
    ));
    s.delete_app(ORG, &app.id).await.unwrap();
    assert_eq!(s.get_integration(&app.id, &a.id).await.unwrap(), None);
}
