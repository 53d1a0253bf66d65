//! Integrations of an application: named, sealed keys with feature flags.

use rusqlite::{params, Connection, OptionalExtension, Row};
use sluice_core::model::Integration;

use super::apps::found;
use super::page::ListQuery;
use super::rows::{backend, to_json};
use crate::{Listed, Page, StoreResult};

/// Columns of [`integration_at`], table alias `i`.
const COLS: &str = "i.id, i.app_id, i.name, i.feature_flags, i.key, i.created_at, i.updated_at";

fn integration_at(row: &Row<'_>) -> rusqlite::Result<Integration> {
    let flags: String = row.get(3)?;
    Ok(Integration {
        id: row.get(0)?,
        app_id: row.get(1)?,
        name: row.get(2)?,
        feature_flags: serde_json::from_str(&flags).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        key: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
    })
}

pub(crate) fn create(c: &Connection, i: &Integration, key_hash: &str) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO integration (id, app_id, name, feature_flags, key, key_hash, created_at, \
         updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .map_err(backend)?
    .execute(params![
        i.id,
        i.app_id,
        i.name,
        to_json(&i.feature_flags)?,
        i.key,
        key_hash,
        i.created_at,
        i.updated_at
    ])
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn get(c: &Connection, app_id: &str, id: &str) -> StoreResult<Option<Integration>> {
    c.prepare_cached(&format!(
        "SELECT {COLS} FROM integration i WHERE i.id = ?1 AND i.app_id = ?2"
    ))
    .map_err(backend)?
    .query_row(params![id, app_id], integration_at)
    .optional()
    .map_err(backend)
}

pub(crate) fn list(c: &Connection, app_id: &str, page: &Page) -> StoreResult<Listed<Integration>> {
    ListQuery::new(
        &format!(
            "SELECT {COLS} FROM integration i INDEXED BY integration_app_id WHERE i.app_id = ?"
        ),
        app_id.to_string(),
    )
    .fetch(c, "i.id", page, integration_at)
}

/// Replaces name and feature flags (matched by id and app).
pub(crate) fn update(c: &Connection, i: &Integration) -> StoreResult<()> {
    let n = c
        .prepare_cached(
            "UPDATE integration SET name = ?3, feature_flags = ?4, updated_at = ?5 \
             WHERE id = ?1 AND app_id = ?2",
        )
        .map_err(backend)?
        .execute(params![
            i.id,
            i.app_id,
            i.name,
            to_json(&i.feature_flags)?,
            i.updated_at
        ])
        .map_err(backend)?;
    found(n)
}

pub(crate) fn delete(c: &Connection, app_id: &str, id: &str) -> StoreResult<()> {
    let n = c
        .prepare_cached("DELETE FROM integration WHERE id = ?1 AND app_id = ?2")
        .map_err(backend)?
        .execute(params![id, app_id])
        .map_err(backend)?;
    found(n)
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
    let n = c
        .prepare_cached(
            "UPDATE integration SET key = ?3, key_hash = ?4, updated_at = ?5 \
             WHERE id = ?1 AND app_id = ?2",
        )
        .map_err(backend)?
        .execute(params![id, app_id, sealed, key_hash, now])
        .map_err(backend)?;
    found(n)
}
