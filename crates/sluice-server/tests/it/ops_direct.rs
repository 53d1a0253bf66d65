//! The operations without HTTP: a store, a secret box and a config make a `Ctx`, as a CLI
//! or the console would build one, and every call is given its `now` (a fixed time here,
//! far from the wall clock, so any clock read inside an operation would show).

use serde::de::DeserializeOwned;
use sluice_core::model::DeliveryStatus;
use sluice_core::secretbox::SecretBox;
use sluice_server::auth::capability::Capabilities;
use sluice_server::auth::Caller;
use sluice_server::config::Config;
use sluice_server::ops::{self, Ctx, Error, Scope, Upserted};
use sluice_store::sqlite::{SqliteOptions, SqliteStore};
use sluice_store::{Page, Store};

/// 2001-09-09T01:46:40Z: no wall clock reads this.
const T0: i64 = 1_000_000_000_000;

fn body<T: DeserializeOwned>(json: &str) -> T {
    serde_json::from_str(json).expect("a valid body")
}

#[tokio::test]
async fn operations_run_on_a_store_without_http_at_the_time_given() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("ops.db"), SqliteOptions::default()).unwrap();
    let secrets = SecretBox::new(&SecretBox::generate_key());
    let config = Config::default();
    let ctx = Ctx {
        store: &store,
        secrets: &secrets,
        config: &config,
        jwt_secret: b"ops-test",
        events: &sluice_server::events::LogSink,
    };
    let org = Caller::Org {
        org_id: "org_cli".into(),
    };

    let et = ops::event_types::create(
        ctx,
        &org,
        body(r#"{"name":"invoice.paid","description":"d"}"#),
        T0,
    )
    .await
    .unwrap();
    assert_eq!(et.created_at, T0);
    let app = match ops::apps::create(ctx, &org, body(r#"{"name":"Acme","uid":"acme"}"#), true, T0)
        .await
        .unwrap()
    {
        Upserted::Created(app) => app,
        other => panic!("expected a new app, got {other:?}"),
    };
    assert_eq!((app.created_at, app.org_id.as_str()), (T0, "org_cli"));

    // A business rule (event types must exist) and a field rule, reported together.
    let refused = ops::endpoints::create(
        ctx,
        &org,
        "acme",
        body(r#"{"url":"ftp://x","eventTypes":["invoice.nope"]}"#),
        T0,
    )
    .await
    .unwrap_err();
    match refused {
        Error::Invalid(items) => {
            let fields: Vec<_> = items.iter().map(|i| i.loc[1].as_str()).collect();
            assert_eq!(fields, ["url", "eventTypes"], "{items:?}");
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    let ep = ops::endpoints::create(
        ctx,
        &org,
        "acme",
        body(r#"{"url":"https://example.com/hook","eventTypes":["invoice.paid"]}"#),
        T0 + 1,
    )
    .await
    .unwrap();
    assert_eq!(ep.created_at, T0 + 1);

    let patched = ops::endpoints::patch(
        ctx,
        &org,
        "acme",
        &ep.id,
        body(r#"{"description":"cli"}"#),
        T0 + 2,
    )
    .await
    .unwrap();
    assert_eq!(
        (patched.description.as_str(), patched.updated_at),
        ("cli", T0 + 2)
    );

    let old = ops::endpoint_secret::get(ctx, &org, "acme", &ep.id)
        .await
        .unwrap();
    let key = ops::endpoint_secret::rotate(
        ctx,
        &org,
        "acme",
        &ep.id,
        body(r#"{"gracePeriodSeconds":60}"#),
        T0 + 3,
    )
    .await
    .unwrap();
    assert_ne!(key, old);
    assert_eq!(
        ops::endpoint_secret::get(ctx, &org, "acme", &ep.id)
            .await
            .unwrap(),
        key
    );
    let stored = store.get_endpoint(&app.id, &ep.id).await.unwrap().unwrap();
    assert_eq!(stored.retired_secrets[0].expires_at, T0 + 3 + 60_000);

    let published = ops::messages::create(
        ctx,
        &org,
        "acme",
        body(r#"{"eventType":"invoice.paid","payload":{"n":1}}"#),
        T0 + 4,
    )
    .await
    .unwrap();
    assert_eq!(published.payload.get(), r#"{"n":1}"#);
    let msg = store
        .get_message(&app.id, &published.msg.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (msg.created_at, msg.payload.as_str()),
        (T0 + 4, r#"{"n":1}"#)
    );
    let page = Page {
        limit: 10,
        ..Page::default()
    };
    let deliveries = store.list_message_deliveries(&msg.id, page).await.unwrap();
    let (_, d) = &deliveries.items[0];
    assert_eq!(
        (d.status, d.next_attempt_at),
        (DeliveryStatus::Pending, Some(T0 + 4))
    );

    // Scope is the operations' business too: a portal caller of another app is refused.
    let portal = Caller::App {
        org_id: "org_cli".into(),
        app_id: "app_someone_else".into(),
        token_id: "ptok_x".into(),
        capabilities: Capabilities::all(),
    };
    let forbidden = ops::scope::load_app(ctx, &portal, "acme", Scope::Portal).await;
    assert!(
        matches!(forbidden, Err(Error::Forbidden(_))),
        "{forbidden:?}"
    );
    let forbidden = ops::endpoints::delete(ctx, &portal, "acme", &ep.id).await;
    assert!(
        matches!(forbidden, Err(Error::Forbidden(_))),
        "{forbidden:?}"
    );
    ops::endpoints::delete(ctx, &org, "acme", &ep.id)
        .await
        .unwrap();
    assert!(store.get_endpoint(&app.id, &ep.id).await.unwrap().is_none());
}
