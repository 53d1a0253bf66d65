//! Event types of an organisation, keyed by name.

use sluice_core::model::EventType;

use super::apps::found;
use super::db::{exec, query_opt};
use super::page::ListQuery;
use super::queries::event_type;
use super::rows::{event_type_at, to_json};
use super::PgStore;
use crate::{Listed, Page, StoreResult};

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
    let schemas = et.schemas.as_ref().map(to_json).transpose()?;
    let n = exec(
        &c,
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
