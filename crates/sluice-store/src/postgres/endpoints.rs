//! Endpoints: create, look up, list, replace, edit under a row lock, delete, and their
//! delivery statistics.
//!
//! A write that re-enables an endpoint makes its waiting deliveries sendable, so it
//! `NOTIFY`s every node's dispatcher in the same transaction (as SQLite's `write_waking`).

use deadpool_postgres::GenericClient;
use sluice_core::control::EndpointControl;
use sluice_core::model::{DeliveryStatus, Endpoint};
use sluice_core::Millis;

use super::apps::found;
use super::db::{exec, query, query_opt};
use super::page::ListQuery;
use super::queries::{delivery, endpoint, endpoint_state};
use super::rows::{col, endpoint_at, opt_json, opt_u32, retired_json, to_json};
use super::{errors::pg, PgStore};
use crate::sql::STATUSES;
use crate::{EndpointEdit, Listed, Page, StoreError, StoreResult};

pub(super) async fn create_endpoint(s: &PgStore, ep: Endpoint) -> StoreResult<()> {
    let c = s.client().await?;
    let (event_types, channels) = (opt_json(&ep.event_types)?, opt_json(&ep.channels)?);
    let (metadata, retired) = (to_json(&ep.metadata)?, retired_json(&ep.retired_secrets)?);
    let throttle = opt_u32(ep.throttle_rate);
    exec(
        &c,
        &endpoint::INSERT,
        &[
            &ep.id,
            &ep.app_id,
            &ep.uid,
            &ep.url,
            &ep.description,
            &ep.version,
            &ep.disabled,
            &event_types,
            &channels,
            &throttle,
            &metadata,
            &ep.headers,
            &ep.secret,
            &retired,
            &ep.created_at,
            &ep.updated_at,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn get_endpoint(
    s: &PgStore,
    app_id: &str,
    id_or_uid: &str,
) -> StoreResult<Option<Endpoint>> {
    let c = s.client().await?;
    query_opt(&c, &endpoint::GET, &[&app_id, &id_or_uid])
        .await?
        .map(|r| endpoint_at(&r, 0))
        .transpose()
}

pub(super) async fn list_endpoints(
    s: &PgStore,
    app_id: &str,
    page: Page,
) -> StoreResult<Listed<Endpoint>> {
    let c = s.client().await?;
    ListQuery::new(&endpoint::LIST, app_id.to_string())
        .fetch(&c, "e.id", &page, |r| endpoint_at(r, 0))
        .await
}

pub(super) async fn update_endpoint(s: &PgStore, ep: Endpoint) -> StoreResult<()> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let was_disabled: bool =
        match query_opt(&tx, &endpoint::DISABLED, &[&ep.id, &ep.app_id]).await? {
            Some(r) => col(&r, 0)?,
            None => return Err(StoreError::NotFound),
        };
    let woke = write_endpoint(&tx, &ep, was_disabled).await?;
    tx.commit().await.map_err(pg)?;
    if woke {
        s.committed_work();
    }
    Ok(())
}

/// Reads the endpoint with its row locked (`FOR UPDATE`, so no other node's write comes
/// between), applies `edit` (`Declined` if it refuses, which rolls back and releases the
/// lock), writes it back and commits. The closure runs on this task and does no I/O, so
/// the lock is held only for the round trips of this transaction.
pub(super) async fn edit_endpoint(
    s: &PgStore,
    app_id: &str,
    endpoint_id: &str,
    edit: EndpointEdit,
) -> StoreResult<Endpoint> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let mut ep = match query_opt(&tx, &endpoint::LOCK, &[&endpoint_id, &app_id]).await? {
        Some(r) => endpoint_at(&r, 0)?,
        None => return Err(StoreError::NotFound),
    };
    let was_disabled = ep.disabled;
    edit(&mut ep).map_err(StoreError::Declined)?;
    let woke = write_endpoint(&tx, &ep, was_disabled).await?;
    tx.commit().await.map_err(pg)?;
    if woke {
        s.committed_work();
    }
    Ok(ep)
}

/// Replaces the endpoint's row; says whether it went from disabled to enabled, which makes
/// its waiting deliveries sendable (the caller wakes the dispatchers after the commit).
async fn write_endpoint<C: GenericClient>(
    c: &C,
    ep: &Endpoint,
    was_disabled: bool,
) -> StoreResult<bool> {
    let (event_types, channels) = (opt_json(&ep.event_types)?, opt_json(&ep.channels)?);
    let (metadata, retired) = (to_json(&ep.metadata)?, retired_json(&ep.retired_secrets)?);
    let throttle = opt_u32(ep.throttle_rate);
    let n = exec(
        c,
        &endpoint::UPDATE,
        &[
            &ep.id,
            &ep.app_id,
            &ep.uid,
            &ep.url,
            &ep.description,
            &ep.version,
            &ep.disabled,
            &event_types,
            &channels,
            &throttle,
            &metadata,
            &ep.headers,
            &ep.secret,
            &retired,
            &ep.updated_at,
        ],
    )
    .await?;
    found(n)?;
    let reenabled = was_disabled && !ep.disabled;
    if reenabled {
        // A fresh start: the breaker closed and the failing clock cleared, so it is not
        // disabled again by its first failure.
        exec(c, &endpoint_state::DELETE, &[&ep.id]).await?;
    }
    Ok(reenabled)
}

/// Deletes the endpoint and its unfinished deliveries. Finished deliveries and attempts stay
/// as history of the messages.
pub(super) async fn delete_endpoint(
    s: &PgStore,
    app_id: &str,
    endpoint_id: &str,
) -> StoreResult<()> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    found(exec(&tx, &endpoint::DELETE, &[&endpoint_id, &app_id]).await?)?;
    exec(
        &tx,
        &delivery::DELETE_UNFINISHED_OF_ENDPOINT,
        &[&endpoint_id],
    )
    .await?;
    exec(&tx, &endpoint_state::DELETE, &[&endpoint_id]).await?;
    tx.commit().await.map_err(pg)
}

/// The delivery control state of the endpoints that have one, in one statement.
pub(super) async fn endpoint_controls(
    s: &PgStore,
    endpoint_ids: &[String],
) -> StoreResult<std::collections::HashMap<String, EndpointControl>> {
    let c = s.client().await?;
    let mut out = std::collections::HashMap::new();
    for r in query(&c, &endpoint_state::OF_ENDPOINTS, &[&endpoint_ids]).await? {
        out.insert(col(&r, 0)?, super::control::control_at(&r, 1)?);
    }
    Ok(out)
}

/// Counts of every status (zeros included) over deliveries created in `[since, until)`.
pub(super) async fn endpoint_stats(
    s: &PgStore,
    endpoint_id: &str,
    since: Millis,
    until: Millis,
) -> StoreResult<Vec<(DeliveryStatus, u64)>> {
    let c = s.client().await?;
    let mut out = STATUSES.map(|s| (s, 0u64));
    let rows = query(
        &c,
        &delivery::COUNT_BY_STATUS,
        &[&endpoint_id, &since, &until],
    )
    .await?;
    for r in rows {
        let (status, count): (i32, i64) = (col(&r, 0)?, col(&r, 1)?);
        if let Some(slot) = out.iter_mut().find(|(s, _)| *s as i64 == i64::from(status)) {
            slot.1 = count.max(0) as u64;
        }
    }
    Ok(out.to_vec())
}
