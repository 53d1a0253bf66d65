//! App-portal token rows: logout ends one token, expire-all ends an app's (or a session's)
//! tokens at a chosen time without touching later ones, and the purge drops only dead rows.

use sluice_store::{ConflictKind, PortalToken, StoreError};

use super::{Dyn, ORG, T0};

fn token(id: &str, app: &str, session: Option<&str>, valid_until: i64) -> PortalToken {
    PortalToken {
        id: id.into(),
        org_id: ORG.into(),
        app_id: app.into(),
        session_id: session.map(String::from),
        created_at: T0,
        valid_until,
    }
}

async fn until(s: &Dyn, id: &str) -> Option<i64> {
    s.portal_token(id).await.unwrap().map(|t| t.valid_until)
}

pub async fn portal_tokens(s: Dyn) {
    let end = T0 + 1_000_000;
    let a = token("ptok_a", "app_1", None, end);
    s.create_portal_token(a.clone()).await.unwrap();
    assert_eq!(s.portal_token("ptok_a").await.unwrap(), Some(a.clone()));
    assert!(s.portal_token("ptok_missing").await.unwrap().is_none());
    assert!(matches!(
        s.create_portal_token(a).await,
        Err(StoreError::Conflict(ConflictKind::Id))
    ));
    for (id, app, session) in [
        ("ptok_b", "app_1", Some("alice")),
        ("ptok_c", "app_1", Some("bob")),
        ("ptok_d", "app_2", Some("alice")),
    ] {
        s.create_portal_token(token(id, app, session, end))
            .await
            .unwrap();
    }

    // Logout ends one token now; a later revocation cannot extend it.
    s.revoke_portal_token("ptok_a", T0 + 10).await.unwrap();
    assert_eq!(until(&s, "ptok_a").await, Some(T0 + 10));
    s.revoke_portal_token("ptok_a", T0 + 50).await.unwrap();
    assert_eq!(until(&s, "ptok_a").await, Some(T0 + 10));
    assert!(matches!(
        s.revoke_portal_token("ptok_missing", T0).await,
        Err(StoreError::NotFound)
    ));

    // Expire one session of app_1 in 60 s: alice's token there, not bob's nor app_2's.
    let n = s
        .expire_portal_tokens("app_1", Some(vec!["alice".into()]), T0 + 60_000, T0 + 20)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(until(&s, "ptok_b").await, Some(T0 + 60_000));
    assert_eq!(until(&s, "ptok_c").await, Some(end));
    assert_eq!(until(&s, "ptok_d").await, Some(end));

    // Expire all of app_1 now: bob's goes too; the logged-out one keeps its earlier end.
    let n = s
        .expire_portal_tokens("app_1", None, T0 + 30, T0 + 30)
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(until(&s, "ptok_a").await, Some(T0 + 10));
    assert_eq!(until(&s, "ptok_b").await, Some(T0 + 30));
    assert_eq!(until(&s, "ptok_c").await, Some(T0 + 30));
    // A token issued afterwards is not affected by the earlier expire-all.
    s.create_portal_token(token("ptok_e", "app_1", None, end))
        .await
        .unwrap();
    assert_eq!(until(&s, "ptok_e").await, Some(end));

    // The purge drops what is dead at `now` and keeps the rest.
    assert_eq!(s.purge_portal_tokens(T0 + 30).await.unwrap(), 3);
    for id in ["ptok_a", "ptok_b", "ptok_c"] {
        assert!(s.portal_token(id).await.unwrap().is_none(), "{id}");
    }
    assert_eq!(until(&s, "ptok_d").await, Some(end));
    assert_eq!(until(&s, "ptok_e").await, Some(end));
}
