//! Lookups by id or by a second key (uid, or a message's event id): when one row's key is
//! another row's id, the id match wins, for every table that has such a lookup.

use super::inbound::source_row;
use super::*;

/// Applications, endpoints, sources and messages found by id or key: an id match wins over
/// another row's key match, a key alone still finds its row, and the scope is kept.
pub async fn id_match_wins_over_key_match(s: Dyn) {
    // Applications: `second`'s uid is `first`'s id. Created key-match first, so that
    // insertion order cannot be what picks the id match.
    let first = app_row(T0);
    let mut second = app_row(T0 + 1);
    second.uid = Some(first.id.clone());
    s.create_app(second.clone()).await.unwrap();
    s.create_app(first.clone()).await.unwrap();
    let found = |a: Option<Application>| a.map(|a| a.id);
    assert_eq!(
        found(s.get_app(ORG, &first.id).await.unwrap()),
        Some(first.id.clone())
    );
    assert_eq!(
        found(s.get_app(ORG, &second.id).await.unwrap()),
        Some(second.id.clone())
    );
    assert_eq!(s.get_app("org_other", &first.id).await.unwrap(), None);

    // Endpoints of one application.
    let ep_first = endpoint_row(&first.id, T0);
    let mut ep_second = endpoint_row(&first.id, T0 + 1);
    ep_second.uid = Some(ep_first.id.clone());
    s.create_endpoint(ep_second.clone()).await.unwrap();
    s.create_endpoint(ep_first.clone()).await.unwrap();
    let found = |e: Option<Endpoint>| e.map(|e| e.id);
    let got = s.get_endpoint(&first.id, &ep_first.id).await.unwrap();
    assert_eq!(found(got), Some(ep_first.id.clone()));
    let got = s.get_endpoint(&first.id, &ep_second.id).await.unwrap();
    assert_eq!(found(got), Some(ep_second.id.clone()));
    assert_eq!(
        s.get_endpoint(&second.id, &ep_first.id).await.unwrap(),
        None
    );

    // Sources of one organisation (each with its own application).
    let (src_app_a, src_app_b) = (app_row(T0 + 2), app_row(T0 + 3));
    let src_first = source_row(&src_app_a.id, T0 + 2);
    let mut src_second = source_row(&src_app_b.id, T0 + 3);
    src_second.uid = Some(src_first.id.clone());
    s.create_source(src_app_b, src_second.clone(), "hash_b".into())
        .await
        .unwrap();
    s.create_source(src_app_a, src_first.clone(), "hash_a".into())
        .await
        .unwrap();
    let found = |x: Option<sluice_core::model::Source>| x.map(|x| x.id);
    let got = s.get_source(ORG, &src_first.id).await.unwrap();
    assert_eq!(found(got), Some(src_first.id.clone()));
    let got = s.get_source(ORG, &src_second.id).await.unwrap();
    assert_eq!(found(got), Some(src_second.id.clone()));

    // Messages of one application, by id or event id.
    let msg_first = message_row(&second.id, "a.b", T0);
    let mut msg_second = message_row(&second.id, "a.b", T0 + 1);
    msg_second.event_id = Some(msg_first.id.clone());
    s.create_message(msg_second.clone(), None, T0 + 1)
        .await
        .unwrap();
    s.create_message(msg_first.clone(), None, T0 + 1)
        .await
        .unwrap();
    let found = |m: Option<Message>| m.map(|m| m.id);
    let got = s.get_message(&second.id, &msg_first.id).await.unwrap();
    assert_eq!(found(got), Some(msg_first.id.clone()));
    let got = s.get_message(&second.id, &msg_second.id).await.unwrap();
    assert_eq!(found(got), Some(msg_second.id.clone()));
    assert_eq!(s.get_message(&first.id, &msg_first.id).await.unwrap(), None);
}

/// `app_by_id` finds an application by its id in whichever org it is, never by its uid,
/// and sees a deletion at once.
pub async fn app_by_id_crosses_orgs_by_id_only(s: Dyn) {
    let mut here = app_row(T0);
    here.uid = Some("acme".into());
    let mut there = app_row(T0 + 1);
    there.org_id = "org_other".into();
    there.uid = Some(here.id.clone());
    s.create_app(here.clone()).await.unwrap();
    s.create_app(there.clone()).await.unwrap();
    assert_eq!(s.app_by_id(&here.id).await.unwrap(), Some(here.clone()));
    assert_eq!(s.app_by_id(&there.id).await.unwrap(), Some(there.clone()));
    // A uid is not an id, even when it spells another app's id.
    assert_eq!(s.app_by_id("acme").await.unwrap(), None);
    s.delete_app(&there.org_id, &there.id).await.unwrap();
    assert_eq!(s.app_by_id(&there.id).await.unwrap(), None);
    assert_eq!(s.app_by_id(&here.id).await.unwrap(), Some(here));
}
