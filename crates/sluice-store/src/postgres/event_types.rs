//! Event types of an organisation, keyed by name.

use deadpool_postgres::GenericClient;
use sluice_core::model::EventType;

use super::apps::found;
use super::db::{exec, query_opt};
use super::page::ListQuery;
use super::queries::event_type;
use super::rows::{event_type_at, to_json};
use super::{errors::pg, PgStore};
use crate::{Listed, Page, StoreError, StoreResult};

pub(super) async fn create_event_type(s: &PgStore, et: EventType) -> StoreResult<()> {
    let c = s.client().await?;
    let schemas = et.schemas.as_ref().map(to_json).transpose()?;
    exec(
        &c,
        &event_type::INSERT,
        &[
            &et.org_id,
            &et.name,
            &et.description,
            &schemas,
            &et.archived,
            &et.deprecated,
            &et.feature_flag,
            &et.created_at,
            &et.updated_at,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn get_event_type(
    s: &PgStore,
    org_id: &str,
    name: &str,
) -> StoreResult<Option<EventType>> {
    let c = s.client().await?;
    query_opt(&c, &event_type::GET, &[&org_id, &name])
        .await?
        .map(|r| event_type_at(&r, 0))
        .transpose()
}

pub(super) async fn list_event_types(
    s: &PgStore,
    org_id: &str,
    include_archived: bool,
    page: Page,
) -> StoreResult<Listed<EventType>> {
    let c = s.client().await?;
    let mut q = ListQuery::new(&event_type::LIST, org_id.to_string());
    if !include_archived {
        q.and("NOT et.archived");
    }
    q.fetch(&c, "et.name", &page, |r| event_type_at(r, 0)).await
}

pub(super) async fn update_event_type(s: &PgStore, et: EventType) -> StoreResult<()> {
    let c = s.client().await?;
    write_event_type(&c, &et).await
}

/// Reads the event type with its row locked, applies `edit`, writes it back and commits.
pub(super) async fn edit_event_type(
    s: &PgStore,
    org_id: &str,
    name: &str,
    edit: crate::EventTypeEdit,
) -> StoreResult<EventType> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let row = query_opt(&tx, &event_type::LOCK, &[&org_id, &name])
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut et = event_type_at(&row, 0)?;
    edit(&mut et).map_err(StoreError::Declined)?;
    if et.name != name || et.org_id != org_id {
        return Err(StoreError::backend("an event type edit changed its key"));
    }
    write_event_type(&tx, &et).await?;
    tx.commit().await.map_err(pg)?;
    Ok(et)
}

/// Replaces the event type's mutable fields.
async fn write_event_type<C: GenericClient>(c: &C, et: &EventType) -> StoreResult<()> {
    let schemas = et.schemas.as_ref().map(to_json).transpose()?;
    let n = exec(
        c,
        &event_type::UPDATE,
        &[
            &et.org_id,
            &et.name,
            &et.description,
            &schemas,
            &et.archived,
            &et.deprecated,
            &et.feature_flag,
            &et.updated_at,
        ],
    )
    .await?;
    found(n)
}

pub(super) async fn delete_event_type(s: &PgStore, org_id: &str, name: &str) -> StoreResult<()> {
    let c = s.client().await?;
    found(exec(&c, &event_type::DELETE, &[&org_id, &name]).await?)
}
