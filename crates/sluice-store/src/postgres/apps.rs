//! Applications: create, look up by id or uid, list, update, and delete with everything
//! under them in one transaction.
//!
//! No cache in front of [`get_app`] (SQLite has one): several nodes share the rows, and a
//! node's cache would go on serving an application another node changed or deleted.

use deadpool_postgres::GenericClient;
use sluice_core::model::Application;

use super::db::{exec, query_opt};
use super::page::ListQuery;
use super::queries::{application, attempt, delivery, endpoint, integration, message, message_tag};
use super::rows::{application_at, opt_u32, to_json};
use super::{errors::pg, PgStore};
use crate::{Listed, Page, StoreError, StoreResult};

/// Inserts `app` (also inside [`super::sources::create_source`]'s transaction).
pub(super) async fn insert_app<C: GenericClient>(c: &C, app: &Application) -> StoreResult<()> {
    let metadata = to_json(&app.metadata)?;
    let throttle = opt_u32(app.throttle_rate);
    exec(
        c,
        &application::INSERT,
        &[
            &app.id,
            &app.org_id,
            &app.uid,
            &app.name,
            &throttle,
            &metadata,
            &app.created_at,
            &app.updated_at,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn create_app(s: &PgStore, app: Application) -> StoreResult<()> {
    insert_app(&s.client().await?, &app).await
}

pub(super) async fn get_app(
    s: &PgStore,
    org_id: &str,
    id_or_uid: &str,
) -> StoreResult<Option<Application>> {
    let c = s.client().await?;
    query_opt(&c, &application::GET, &[&org_id, &id_or_uid])
        .await?
        .map(|r| application_at(&r, 0))
        .transpose()
}

pub(super) async fn app_by_id(s: &PgStore, app_id: &str) -> StoreResult<Option<Application>> {
    let c = s.client().await?;
    query_opt(&c, &application::BY_ID, &[&app_id])
        .await?
        .map(|r| application_at(&r, 0))
        .transpose()
}

pub(super) async fn list_apps(
    s: &PgStore,
    org_id: &str,
    page: Page,
) -> StoreResult<Listed<Application>> {
    let c = s.client().await?;
    ListQuery::new(&application::LIST, org_id.to_string())
        .fetch(&c, "a.id", &page, |r| application_at(r, 0))
        .await
}

pub(super) async fn update_app(s: &PgStore, app: Application) -> StoreResult<()> {
    let c = s.client().await?;
    write_app(&c, &app).await
}

/// Reads the application with its row locked, applies `edit`, writes it back and commits:
/// concurrent edits on any node wait for each other instead of overwriting each other.
pub(super) async fn edit_app(
    s: &PgStore,
    org_id: &str,
    app_id: &str,
    edit: crate::AppEdit,
) -> StoreResult<Application> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let row = query_opt(&tx, &application::LOCK, &[&app_id, &org_id])
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut app = application_at(&row, 0)?;
    edit(&mut app).map_err(StoreError::Declined)?;
    write_app(&tx, &app).await?;
    tx.commit().await.map_err(pg)?;
    Ok(app)
}

/// Replaces the application's mutable fields.
async fn write_app<C: GenericClient>(c: &C, app: &Application) -> StoreResult<()> {
    let metadata = to_json(&app.metadata)?;
    let throttle = opt_u32(app.throttle_rate);
    found(
        exec(
            c,
            &application::UPDATE,
            &[
                &app.id,
                &app.org_id,
                &app.uid,
                &app.name,
                &throttle,
                &metadata,
                &app.updated_at,
            ],
        )
        .await?,
    )
}

pub(super) async fn delete_app(s: &PgStore, org_id: &str, app_id: &str) -> StoreResult<()> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    delete_app_in(&tx, org_id, app_id).await?;
    tx.commit().await.map_err(pg)
}

/// Deletes the app and everything under it, inside the caller's transaction. The app's row
/// is locked first, so two concurrent deletes cascade once and the second is `NotFound`.
/// Deliveries are found through the app's messages (every delivery has one), which uses an
/// index instead of a table scan.
pub(super) async fn delete_app_in<C: GenericClient>(
    c: &C,
    org_id: &str,
    app_id: &str,
) -> StoreResult<()> {
    if query_opt(c, &application::EXISTS, &[&app_id, &org_id])
        .await?
        .is_none()
    {
        return Err(StoreError::NotFound);
    }
    for sql in [
        &attempt::DELETE_OF_APP,
        &delivery::DELETE_OF_APP,
        &message_tag::DELETE_OF_APP,
        &message::DELETE_OF_APP,
        &endpoint::DELETE_OF_APP,
        &integration::DELETE_OF_APP,
        &application::DELETE,
    ] {
        exec(c, sql, &[&app_id]).await?;
    }
    Ok(())
}

/// `NotFound` when a statement changed no row.
pub(super) fn found(changed: u64) -> StoreResult<()> {
    if changed == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
