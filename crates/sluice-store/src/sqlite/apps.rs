//! Applications and event types.

use rusqlite::{params, Connection};
use sluice_core::model::{Application, EventType};

use super::db::{exec, exec_named, prepare, query_opt};
use super::page::ListQuery;
use super::queries::{
    application, attempt, by_id_or_key, delivery, endpoint, event_type, integration, message,
    message_tag,
};
use super::rows::{application_at, application_params, backend, event_type_at, event_type_params};
use crate::{Listed, Page, StoreError, StoreResult};

pub(crate) fn create_app(c: &Connection, app: &Application) -> StoreResult<()> {
    exec_named(c, &application::INSERT, &application_params(app)?)?;
    Ok(())
}

pub(crate) fn get_app(
    c: &Connection,
    org_id: &str,
    id_or_uid: &str,
) -> StoreResult<Option<Application>> {
    by_id_or_key::APPLICATION.find(c, org_id, id_or_uid, |r| application_at(r, 0))
}

pub(crate) fn app_by_id(c: &Connection, app_id: &str) -> StoreResult<Option<Application>> {
    query_opt(c, &application::BY_ID, params![app_id], |r| {
        application_at(r, 0)
    })
}

pub(crate) fn list_apps(
    c: &Connection,
    org_id: &str,
    page: &Page,
) -> StoreResult<Listed<Application>> {
    let q = ListQuery::new(application::LIST.text(), org_id.to_string());
    q.fetch(c, "a.id", page, |r| application_at(r, 0))
}

pub(crate) fn update_app(c: &Connection, app: &Application) -> StoreResult<()> {
    found(exec_named(
        c,
        &application::UPDATE,
        &application_params(app)?,
    )?)
}

/// Applies `edit` to the stored application and writes it back, inside one writer job (so no
/// other write runs in between).
pub(crate) fn edit_app(
    c: &Connection,
    org_id: &str,
    app_id: &str,
    edit: crate::AppEdit,
) -> StoreResult<Application> {
    let mut app = get_app(c, org_id, app_id)?
        .filter(|a| a.id == app_id)
        .ok_or(StoreError::NotFound)?;
    edit(&mut app).map_err(StoreError::Declined)?;
    update_app(c, &app)?;
    Ok(app)
}

/// Deletes the app and everything under it. Deliveries are found through the app's
/// messages (every delivery has one), which uses an index instead of a table scan.
pub(crate) fn delete_app(c: &Connection, org_id: &str, app_id: &str) -> StoreResult<()> {
    let exists = prepare(c, &application::EXISTS)?
        .exists(params![app_id, org_id])
        .map_err(backend)?;
    if !exists {
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
        exec(c, sql, [app_id])?;
    }
    Ok(())
}

pub(crate) fn create_event_type(c: &Connection, et: &EventType) -> StoreResult<()> {
    exec_named(c, &event_type::INSERT, &event_type_params(et)?)?;
    Ok(())
}

pub(crate) fn get_event_type(
    c: &Connection,
    org_id: &str,
    name: &str,
) -> StoreResult<Option<EventType>> {
    query_opt(c, &event_type::GET, params![org_id, name], |r| {
        event_type_at(r, 0)
    })
}

pub(crate) fn list_event_types(
    c: &Connection,
    org_id: &str,
    include_archived: bool,
    page: &Page,
) -> StoreResult<Listed<EventType>> {
    let mut q = ListQuery::new(event_type::LIST.text(), org_id.to_string());
    if !include_archived {
        q.and("et.archived = 0", []);
    }
    q.fetch(c, "et.name", page, |r| event_type_at(r, 0))
}

pub(crate) fn update_event_type(c: &Connection, et: &EventType) -> StoreResult<()> {
    found(exec_named(c, &event_type::UPDATE, &event_type_params(et)?)?)
}

/// Applies `edit` to the stored event type and writes it back, inside one writer job.
pub(crate) fn edit_event_type(
    c: &Connection,
    org_id: &str,
    name: &str,
    edit: crate::EventTypeEdit,
) -> StoreResult<EventType> {
    let mut et = get_event_type(c, org_id, name)?.ok_or(StoreError::NotFound)?;
    edit(&mut et).map_err(StoreError::Declined)?;
    if et.name != name || et.org_id != org_id {
        return Err(StoreError::backend("an event type edit changed its key"));
    }
    update_event_type(c, &et)?;
    Ok(et)
}

pub(crate) fn delete_event_type(c: &Connection, org_id: &str, name: &str) -> StoreResult<()> {
    found(exec(c, &event_type::DELETE, params![org_id, name])?)
}

/// `NotFound` when a statement changed no row.
pub(crate) fn found(changed: usize) -> StoreResult<()> {
    if changed == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
