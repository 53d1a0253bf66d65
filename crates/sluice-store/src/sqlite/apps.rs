//! Applications and event types.

use rusqlite::{params, Connection, OptionalExtension};
use sluice_core::model::{Application, EventType};

use super::page::ListQuery;
use super::rows::{application_at, backend, event_type_at, to_json, APP_COLS, EVENT_TYPE_COLS};
use crate::{Listed, Page, StoreError, StoreResult};

pub(crate) fn create_app(c: &Connection, app: &Application) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO application (id, org_id, uid, name, throttle_rate, metadata, created_at, \
         updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .map_err(backend)?
    .execute(params![
        app.id,
        app.org_id,
        app.uid,
        app.name,
        app.throttle_rate,
        to_json(&app.metadata)?,
        app.created_at,
        app.updated_at
    ])
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn get_app(
    c: &Connection,
    org_id: &str,
    id_or_uid: &str,
) -> StoreResult<Option<Application>> {
    // Two indexed lookups instead of `id = ? OR uid = ?`; an id match wins.
    let sql = format!(
        "SELECT {APP_COLS}, 0 FROM application a WHERE a.org_id = ?1 AND a.id = ?2 \
         UNION ALL SELECT {APP_COLS}, 1 FROM application a WHERE a.org_id = ?1 AND a.uid = ?2 \
         ORDER BY 9 LIMIT 1"
    );
    c.prepare_cached(&sql)
        .map_err(backend)?
        .query_row(params![org_id, id_or_uid], |r| application_at(r, 0))
        .optional()
        .map_err(backend)
}

pub(crate) fn list_apps(
    c: &Connection,
    org_id: &str,
    page: &Page,
) -> StoreResult<Listed<Application>> {
    let q = ListQuery::new(
        &format!("SELECT {APP_COLS} FROM application a WHERE a.org_id = ?"),
        org_id.to_string(),
    );
    q.fetch(c, "a.id", page, |r| application_at(r, 0))
}

pub(crate) fn update_app(c: &Connection, app: &Application) -> StoreResult<()> {
    let n = c
        .prepare_cached(
            "UPDATE application SET uid = ?3, name = ?4, throttle_rate = ?5, metadata = ?6, \
             updated_at = ?7 WHERE id = ?1 AND org_id = ?2",
        )
        .map_err(backend)?
        .execute(params![
            app.id,
            app.org_id,
            app.uid,
            app.name,
            app.throttle_rate,
            to_json(&app.metadata)?,
            app.updated_at
        ])
        .map_err(backend)?;
    found(n)
}

/// Deletes the app and everything under it. Deliveries are found through the app's
/// messages (every delivery has one), which uses an index instead of a table scan.
pub(crate) fn delete_app(c: &Connection, org_id: &str, app_id: &str) -> StoreResult<()> {
    let exists = c
        .prepare_cached("SELECT 1 FROM application WHERE id = ?1 AND org_id = ?2")
        .map_err(backend)?
        .exists(params![app_id, org_id])
        .map_err(backend)?;
    if !exists {
        return Err(StoreError::NotFound);
    }
    for sql in [
        "DELETE FROM attempt WHERE app_id = ?1",
        "DELETE FROM delivery WHERE msg_id IN (SELECT id FROM message WHERE app_id = ?1)",
        "DELETE FROM message_tag WHERE app_id = ?1",
        "DELETE FROM message WHERE app_id = ?1",
        "DELETE FROM endpoint WHERE app_id = ?1",
        "DELETE FROM integration WHERE app_id = ?1",
        "DELETE FROM application WHERE id = ?1",
    ] {
        c.execute(sql, [app_id]).map_err(backend)?;
    }
    Ok(())
}

pub(crate) fn create_event_type(c: &Connection, et: &EventType) -> StoreResult<()> {
    let schemas = et.schemas.as_ref().map(to_json).transpose()?;
    c.prepare_cached(
        "INSERT INTO event_type (org_id, name, description, schemas, archived, deprecated, \
         feature_flag, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .map_err(backend)?
    .execute(params![
        et.org_id,
        et.name,
        et.description,
        schemas,
        et.archived,
        et.deprecated,
        et.feature_flag,
        et.created_at,
        et.updated_at
    ])
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn get_event_type(
    c: &Connection,
    org_id: &str,
    name: &str,
) -> StoreResult<Option<EventType>> {
    c.prepare_cached(&format!(
        "SELECT {EVENT_TYPE_COLS} FROM event_type et WHERE et.org_id = ?1 AND et.name = ?2"
    ))
    .map_err(backend)?
    .query_row(params![org_id, name], |r| event_type_at(r, 0))
    .optional()
    .map_err(backend)
}

pub(crate) fn list_event_types(
    c: &Connection,
    org_id: &str,
    include_archived: bool,
    page: &Page,
) -> StoreResult<Listed<EventType>> {
    let mut q = ListQuery::new(
        &format!("SELECT {EVENT_TYPE_COLS} FROM event_type et WHERE et.org_id = ?"),
        org_id.to_string(),
    );
    if !include_archived {
        q.and("et.archived = 0", []);
    }
    q.fetch(c, "et.name", page, |r| event_type_at(r, 0))
}

pub(crate) fn update_event_type(c: &Connection, et: &EventType) -> StoreResult<()> {
    let schemas = et.schemas.as_ref().map(to_json).transpose()?;
    let n = c
        .prepare_cached(
            "UPDATE event_type SET description = ?3, schemas = ?4, archived = ?5, \
             deprecated = ?6, feature_flag = ?7, updated_at = ?8 WHERE org_id = ?1 AND name = ?2",
        )
        .map_err(backend)?
        .execute(params![
            et.org_id,
            et.name,
            et.description,
            schemas,
            et.archived,
            et.deprecated,
            et.feature_flag,
            et.updated_at
        ])
        .map_err(backend)?;
    found(n)
}

pub(crate) fn delete_event_type(c: &Connection, org_id: &str, name: &str) -> StoreResult<()> {
    let n = c
        .prepare_cached("DELETE FROM event_type WHERE org_id = ?1 AND name = ?2")
        .map_err(backend)?
        .execute(params![org_id, name])
        .map_err(backend)?;
    found(n)
}

/// `NotFound` when a statement changed no row.
pub(crate) fn found(changed: usize) -> StoreResult<()> {
    if changed == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
