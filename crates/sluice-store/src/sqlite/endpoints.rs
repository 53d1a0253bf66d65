//! Endpoints and their delivery statistics.

use rusqlite::{params, Connection};
use sluice_core::model::{DeliveryStatus, Endpoint};

use super::apps::found;
use super::control::reset_control;
use super::db::{exec, exec_named, query_all, query_opt};
use super::page::ListQuery;
use super::queries::{by_id_or_key, delivery, endpoint};
use super::rows::{endpoint_at, endpoint_params};
use crate::sql::STATUSES;
use crate::{EndpointEdit, Listed, Page, StoreError, StoreResult};

pub(crate) fn create_endpoint(c: &Connection, ep: &Endpoint) -> StoreResult<()> {
    exec_named(c, &endpoint::INSERT, &endpoint_params(ep)?)?;
    Ok(())
}

pub(crate) fn get_endpoint(
    c: &Connection,
    app_id: &str,
    id_or_uid: &str,
) -> StoreResult<Option<Endpoint>> {
    by_id_or_key::ENDPOINT.find(c, app_id, id_or_uid, |r| endpoint_at(r, 0))
}

/// An endpoint by id alone (the dispatcher's view).
pub(crate) fn endpoint_by_id(c: &Connection, id: &str) -> StoreResult<Option<Endpoint>> {
    query_opt(c, &endpoint::BY_ID, [id], |r| endpoint_at(r, 0))
}

pub(crate) fn list_endpoints(
    c: &Connection,
    app_id: &str,
    page: &Page,
) -> StoreResult<Listed<Endpoint>> {
    let q = ListQuery::new(endpoint::LIST.text(), app_id.to_string());
    q.fetch(c, "e.id", page, |r| endpoint_at(r, 0))
}

/// Replaces the endpoint; returns whether it went from disabled to enabled, which makes its
/// waiting deliveries sendable (the caller wakes the dispatcher) and resets its delivery
/// control.
pub(crate) fn update_endpoint(c: &Connection, ep: &Endpoint) -> StoreResult<bool> {
    let was_disabled: bool = query_opt(c, &endpoint::DISABLED, params![ep.id, ep.app_id], |r| {
        r.get(0)
    })?
    .ok_or(StoreError::NotFound)?;
    let n = exec_named(c, &endpoint::UPDATE, &endpoint_params(ep)?)?;
    found(n)?;
    let reenabled = was_disabled && !ep.disabled;
    if reenabled {
        // A fresh start: the breaker closed and the failing clock cleared, so it is not
        // disabled again by its first failure.
        reset_control(c, &ep.id)?;
    }
    Ok(reenabled)
}

/// Reads the endpoint on the writer's connection (inside its transaction, so no other
/// write comes between), applies `edit`, writes it back. Returns it and whether it was
/// re-enabled (the caller wakes the dispatcher).
pub(crate) fn edit_endpoint(
    c: &Connection,
    app_id: &str,
    endpoint_id: &str,
    edit: EndpointEdit,
) -> StoreResult<(Endpoint, bool)> {
    let mut ep = endpoint_by_id(c, endpoint_id)?
        .filter(|e| e.app_id == app_id)
        .ok_or(StoreError::NotFound)?;
    edit(&mut ep).map_err(StoreError::Declined)?;
    let woke = update_endpoint(c, &ep)?;
    Ok((ep, woke))
}

/// Deletes the endpoint and its unfinished deliveries. Finished deliveries and attempts stay
/// as history of the messages.
pub(crate) fn delete_endpoint(c: &Connection, app_id: &str, endpoint_id: &str) -> StoreResult<()> {
    found(exec(c, &endpoint::DELETE, params![endpoint_id, app_id])?)?;
    exec(c, &delivery::DELETE_UNFINISHED_OF_ENDPOINT, [endpoint_id])?;
    reset_control(c, endpoint_id)?;
    Ok(())
}

/// Counts of every status (zeros included) over deliveries created in `[since, until)`.
pub(crate) fn endpoint_stats(
    c: &Connection,
    endpoint_id: &str,
    since: i64,
    until: i64,
) -> StoreResult<Vec<(DeliveryStatus, u64)>> {
    let mut out = STATUSES.map(|s| (s, 0u64));
    let rows = query_all(
        c,
        &delivery::COUNT_BY_STATUS,
        params![endpoint_id, since, until],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
    )?;
    for (status, count) in rows {
        if let Some(slot) = out.iter_mut().find(|(s, _)| *s as i64 == status) {
            slot.1 = count.max(0) as u64;
        }
    }
    Ok(out.to_vec())
}
