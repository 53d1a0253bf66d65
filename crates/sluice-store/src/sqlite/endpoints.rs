//! Endpoints and their delivery statistics.

use rusqlite::{params, Connection, OptionalExtension};
use sluice_core::model::{DeliveryStatus, Endpoint};

use super::apps::found;
use super::page::ListQuery;
use super::rows::{backend, endpoint_at, opt_json, retired_json, to_json, ENDPOINT_COLS};
use crate::{EndpointEdit, Listed, Page, StoreError, StoreResult};

pub(crate) fn create_endpoint(c: &Connection, ep: &Endpoint) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO endpoint (id, app_id, uid, url, description, version, disabled, \
         event_types, channels, throttle_rate, metadata, headers, secret, retired_secrets, \
         created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )
    .map_err(backend)?
    .execute(params![
        ep.id,
        ep.app_id,
        ep.uid,
        ep.url,
        ep.description,
        ep.version,
        ep.disabled,
        opt_json(&ep.event_types)?,
        opt_json(&ep.channels)?,
        ep.throttle_rate,
        to_json(&ep.metadata)?,
        &ep.headers,
        ep.secret,
        retired_json(&ep.retired_secrets)?,
        ep.created_at,
        ep.updated_at
    ])
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn get_endpoint(
    c: &Connection,
    app_id: &str,
    id_or_uid: &str,
) -> StoreResult<Option<Endpoint>> {
    // Two indexed lookups instead of `id = ? OR uid = ?`; an id match wins.
    let sql = format!(
        "SELECT {ENDPOINT_COLS}, 0 FROM endpoint e WHERE e.app_id = ?1 AND e.id = ?2 \
         UNION ALL SELECT {ENDPOINT_COLS}, 1 FROM endpoint e WHERE e.app_id = ?1 AND e.uid = ?2 \
         ORDER BY 17 LIMIT 1"
    );
    c.prepare_cached(&sql)
        .map_err(backend)?
        .query_row(params![app_id, id_or_uid], |r| endpoint_at(r, 0))
        .optional()
        .map_err(backend)
}

/// An endpoint by id alone (the dispatcher's view).
pub(crate) fn endpoint_by_id(c: &Connection, id: &str) -> StoreResult<Option<Endpoint>> {
    c.prepare_cached(&format!(
        "SELECT {ENDPOINT_COLS} FROM endpoint e WHERE e.id = ?1"
    ))
    .map_err(backend)?
    .query_row([id], |r| endpoint_at(r, 0))
    .optional()
    .map_err(backend)
}

pub(crate) fn list_endpoints(
    c: &Connection,
    app_id: &str,
    page: &Page,
) -> StoreResult<Listed<Endpoint>> {
    let q = ListQuery::new(
        &format!("SELECT {ENDPOINT_COLS} FROM endpoint e WHERE e.app_id = ?"),
        app_id.to_string(),
    );
    q.fetch(c, "e.id", page, |r| endpoint_at(r, 0))
}

/// Replaces the endpoint; returns whether it went from disabled to enabled, which makes its
/// waiting deliveries sendable (the caller wakes the dispatcher).
pub(crate) fn update_endpoint(c: &Connection, ep: &Endpoint) -> StoreResult<bool> {
    let was_disabled: bool = c
        .prepare_cached("SELECT disabled FROM endpoint WHERE id = ?1 AND app_id = ?2")
        .map_err(backend)?
        .query_row(params![ep.id, ep.app_id], |r| r.get(0))
        .optional()
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
    let n = c
        .prepare_cached(
            "UPDATE endpoint SET uid = ?3, url = ?4, description = ?5, version = ?6, \
             disabled = ?7, event_types = ?8, channels = ?9, throttle_rate = ?10, \
             metadata = ?11, headers = ?12, secret = ?13, retired_secrets = ?14, \
             updated_at = ?15 WHERE id = ?1 AND app_id = ?2",
        )
        .map_err(backend)?
        .execute(params![
            ep.id,
            ep.app_id,
            ep.uid,
            ep.url,
            ep.description,
            ep.version,
            ep.disabled,
            opt_json(&ep.event_types)?,
            opt_json(&ep.channels)?,
            ep.throttle_rate,
            to_json(&ep.metadata)?,
            &ep.headers,
            ep.secret,
            retired_json(&ep.retired_secrets)?,
            ep.updated_at
        ])
        .map_err(backend)?;
    found(n)?;
    Ok(was_disabled && !ep.disabled)
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
    let mut ep = c
        .prepare_cached(&format!(
            "SELECT {ENDPOINT_COLS} FROM endpoint e WHERE e.id = ?1 AND e.app_id = ?2"
        ))
        .map_err(backend)?
        .query_row(params![endpoint_id, app_id], |r| endpoint_at(r, 0))
        .optional()
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
    edit(&mut ep).map_err(StoreError::Declined)?;
    let woke = update_endpoint(c, &ep)?;
    Ok((ep, woke))
}

/// Deletes the endpoint and its unfinished deliveries. Finished deliveries and attempts stay
/// as history of the messages.
pub(crate) fn delete_endpoint(c: &Connection, app_id: &str, endpoint_id: &str) -> StoreResult<()> {
    let n = c
        .prepare_cached("DELETE FROM endpoint WHERE id = ?1 AND app_id = ?2")
        .map_err(backend)?
        .execute(params![endpoint_id, app_id])
        .map_err(backend)?;
    found(n)?;
    // `status IN (1,3)` lets SQLite walk only the endpoint's unfinished rows (partial index).
    c.prepare_cached("DELETE FROM delivery WHERE endpoint_id = ?1 AND status IN (1,3)")
        .map_err(backend)?
        .execute([endpoint_id])
        .map_err(backend)?;
    Ok(())
}

/// Counts of every status (zeros included) over deliveries created in `[since, until)`.
pub(crate) fn endpoint_stats(
    c: &Connection,
    endpoint_id: &str,
    since: i64,
    until: i64,
) -> StoreResult<Vec<(DeliveryStatus, u64)>> {
    let mut out = [
        DeliveryStatus::Success,
        DeliveryStatus::Pending,
        DeliveryStatus::Fail,
        DeliveryStatus::Sending,
    ]
    .map(|s| (s, 0u64));
    let mut stmt = c
        .prepare_cached(
            "SELECT status, COUNT(*) FROM delivery WHERE endpoint_id = ?1 \
             AND created_at >= ?2 AND created_at < ?3 GROUP BY status",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![endpoint_id, since, until], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })
        .map_err(backend)?;
    for row in rows {
        let (status, count) = row.map_err(backend)?;
        if let Some(slot) = out.iter_mut().find(|(s, _)| *s as i64 == status) {
            slot.1 = count.max(0) as u64;
        }
    }
    Ok(out.to_vec())
}
