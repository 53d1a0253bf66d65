//! Integrations of an application: named, sealed keys with feature flags.

use rusqlite::{params, Connection};
use sluice_core::model::Integration;

use super::apps::found;
use super::db::{exec, exec_named, query_opt};
use super::page::ListQuery;
use super::queries::integration;
use super::rows::{integration_at, integration_params};
use crate::{Listed, Page, StoreResult};

pub(crate) fn create(c: &Connection, i: &Integration, key_hash: &str) -> StoreResult<()> {
    exec_named(
        c,
        &integration::INSERT,
        &integration_params(i, Some(key_hash))?,
    )?;
    Ok(())
}

pub(crate) fn get(c: &Connection, app_id: &str, id: &str) -> StoreResult<Option<Integration>> {
    query_opt(c, &integration::GET, params![id, app_id], |r| {
        integration_at(r, 0)
    })
}

pub(crate) fn list(c: &Connection, app_id: &str, page: &Page) -> StoreResult<Listed<Integration>> {
    ListQuery::new(integration::LIST.text(), app_id.to_string())
        .fetch(c, "i.id", page, |r| integration_at(r, 0))
}

/// Replaces name and feature flags (matched by id and app).
pub(crate) fn update(c: &Connection, i: &Integration) -> StoreResult<()> {
    found(exec_named(
        c,
        &integration::UPDATE,
        &integration_params(i, None)?,
    )?)
}

pub(crate) fn delete(c: &Connection, app_id: &str, id: &str) -> StoreResult<()> {
    found(exec(c, &integration::DELETE, params![id, app_id])?)
}

/// Replaces the key; the previous one is gone at once (Svix: "immediately revoked").
pub(crate) fn rotate_key(
    c: &Connection,
    app_id: &str,
    id: &str,
    sealed: &[u8],
    key_hash: &str,
    now: i64,
) -> StoreResult<()> {
    found(exec(
        c,
        &integration::ROTATE_KEY,
        params![id, app_id, sealed, key_hash, now],
    )?)
}
