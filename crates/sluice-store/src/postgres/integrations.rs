//! Integrations of an application: named, sealed keys with feature flags.

use sluice_core::model::Integration;
use sluice_core::Millis;

use super::apps::found;
use super::db::{exec, query_opt};
use super::page::ListQuery;
use super::queries::integration;
use super::rows::{integration_at, to_json};
use super::PgStore;
use crate::{Listed, Page, StoreResult};

pub(super) async fn create_integration(
    s: &PgStore,
    integ: Integration,
    key_hash: String,
) -> StoreResult<()> {
    let c = s.client().await?;
    let flags = to_json(&integ.feature_flags)?;
    exec(
        &c,
        &integration::INSERT,
        &[
            &integ.id,
            &integ.app_id,
            &integ.name,
            &flags,
            &integ.key,
            &key_hash,
            &integ.created_at,
            &integ.updated_at,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn get_integration(
    s: &PgStore,
    app_id: &str,
    id: &str,
) -> StoreResult<Option<Integration>> {
    let c = s.client().await?;
    query_opt(&c, &integration::GET, &[&id, &app_id])
        .await?
        .map(|r| integration_at(&r, 0))
        .transpose()
}

pub(super) async fn list_integrations(
    s: &PgStore,
    app_id: &str,
    page: Page,
) -> StoreResult<Listed<Integration>> {
    let c = s.client().await?;
    ListQuery::new(&integration::LIST, app_id.to_string())
        .fetch(&c, "i.id", &page, |r| integration_at(r, 0))
        .await
}

/// Replaces name and feature flags (matched by id and app).
pub(super) async fn update_integration(s: &PgStore, integ: Integration) -> StoreResult<()> {
    let c = s.client().await?;
    let flags = to_json(&integ.feature_flags)?;
    let n = exec(
        &c,
        &integration::UPDATE,
        &[
            &integ.id,
            &integ.app_id,
            &integ.name,
            &flags,
            &integ.updated_at,
        ],
    )
    .await?;
    found(n)
}

pub(super) async fn delete_integration(s: &PgStore, app_id: &str, id: &str) -> StoreResult<()> {
    let c = s.client().await?;
    found(exec(&c, &integration::DELETE, &[&id, &app_id]).await?)
}

/// Replaces the key; the previous one is gone at once (Svix: "immediately revoked").
pub(super) async fn rotate_integration_key(
    s: &PgStore,
    app_id: &str,
    id: &str,
    sealed_key: Vec<u8>,
    key_hash: String,
    now: Millis,
) -> StoreResult<()> {
    let c = s.client().await?;
    let n = exec(
        &c,
        &integration::ROTATE_KEY,
        &[&id, &app_id, &sealed_key, &key_hash, &now],
    )
    .await?;
    found(n)
}
