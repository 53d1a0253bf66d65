//! The `endpoint_state` rows of delivery control (see `sluice_core::control` for the
//! rules), shared by every node.
//!
//! - The claim (serialised cluster-wide by its advisory lock) reads the state with the
//!   endpoints it considers and writes what it reserved ([`write_reservations`]): the
//!   throttle's next send time, which only claims move, and probes.
//! - A batch of outcomes reads its endpoints' state, and only if it changes some locks
//!   those rows in id order (`endpoint` first, then their state rows), folds its tries into
//!   the state in memory and writes the rows that changed, in one statement
//!   ([`apply_outcomes`]). So healthy, unthrottled endpoints cost one read per batch and no
//!   lock or write, and outcome batches of several nodes change one endpoint one after the
//!   other.

use std::collections::HashMap;

use deadpool_postgres::Transaction;
use sluice_core::control::{group_by_endpoint, Circuit, ControlPolicy, EndpointControl};
use sluice_core::queue::{ControlChange, ControlChangeKind, Outcome, Recorded};
use tokio_postgres::Row;

use super::db::query;
use super::queries::{delivery, endpoint, endpoint_state};
use super::rows::col;
use crate::{StoreError, StoreResult};

/// The control state in the 7 columns from `b` (all NULL: no row, the default).
pub(crate) fn control_at(r: &Row, b: usize) -> Result<EndpointControl, StoreError> {
    let get = |i: usize| col::<Option<i64>>(r, b + i);
    Ok(EndpointControl {
        next_send_at: get(0)?.unwrap_or(0),
        paused_until: get(1)?.unwrap_or(0),
        failures: u32::try_from(get(2)?.unwrap_or(0)).unwrap_or(u32::MAX),
        failing_since: get(3)?,
        circuit: Circuit::from_i64(col::<Option<i32>>(r, b + 4)?.map_or(0, i64::from)),
        open_until: get(5)?.unwrap_or(0),
        cooldown_ms: get(6)?.unwrap_or(0),
    })
}

/// One endpoint's reservation in a claim.
pub(crate) struct Reservation {
    /// The endpoint.
    pub endpoint_id: String,
    /// Its throttle's next send time after the claim.
    pub next_send_at: i64,
    /// Whether the claim took its circuit's probe, and when that probe's claim expires.
    pub probe: Option<i64>,
}

/// Writes a claim's reservations in one statement.
pub(crate) async fn write_reservations(
    tx: &Transaction<'_>,
    mut r: Vec<Reservation>,
) -> StoreResult<()> {
    if r.is_empty() {
        return Ok(());
    }
    r.sort_by(|a, b| a.endpoint_id.cmp(&b.endpoint_id));
    let ids: Vec<&str> = r.iter().map(|x| x.endpoint_id.as_str()).collect();
    let next: Vec<i64> = r.iter().map(|x| x.next_send_at).collect();
    let probe: Vec<bool> = r.iter().map(|x| x.probe.is_some()).collect();
    let until: Vec<i64> = r.iter().map(|x| x.probe.unwrap_or(0)).collect();
    super::db::exec(tx, &endpoint_state::RESERVE, &[&ids, &next, &probe, &until]).await?;
    Ok(())
}

/// An endpoint of a batch as read: disabled, application, uid, control state.
type Read = (bool, String, Option<String>, EndpointControl);

/// Reads the endpoints `ids` with their control state; `lock`: with their rows locked in id
/// order (`endpoint` first, then `endpoint_state`).
async fn read(
    tx: &Transaction<'_>,
    ids: &[&str],
    lock: bool,
) -> StoreResult<HashMap<String, Read>> {
    let mut out = HashMap::with_capacity(ids.len());
    if lock {
        let eps = query(tx, &endpoint::LOCK_OF_OUTCOMES, &[&ids]).await?;
        let states = query(tx, &endpoint_state::LOCK, &[&ids]).await?;
        let mut stored: HashMap<String, EndpointControl> = HashMap::new();
        for r in &states {
            stored.insert(col(r, 0)?, control_at(r, 1)?);
        }
        for r in &eps {
            let id: String = col(r, 0)?;
            let state = stored.get(&id).copied().unwrap_or_default();
            out.insert(id, (col(r, 1)?, col(r, 2)?, col(r, 3)?, state));
        }
    } else {
        for r in &query(tx, &endpoint_state::OF_OUTCOMES, &[&ids]).await? {
            out.insert(
                col(r, 0)?,
                (col(r, 1)?, col(r, 2)?, col(r, 3)?, control_at(r, 4)?),
            );
        }
    }
    Ok(out)
}

/// Folds a batch's tries into their endpoints' control state, disables the endpoints
/// that answered 410 or have failed for too long, and returns what changed.
///
/// The endpoints are first read without locks: when the batch changes none of them (the
/// healthy case: successes of endpoints without state), that one read is all it costs.
/// Otherwise the endpoints it changes are locked and read again, so batches of several
/// nodes change one endpoint one after the other, and folded from the locked state.
pub(crate) async fn apply_outcomes(
    tx: &Transaction<'_>,
    outcomes: &[Outcome],
    policy: &ControlPolicy,
) -> StoreResult<Recorded> {
    // A disable without a try names only its delivery.
    let unnamed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.attempt.is_none() && o.disable_endpoint)
        .map(|o| o.delivery_id.as_str())
        .collect();
    let mut endpoint_of: HashMap<String, String> = HashMap::new();
    if !unnamed.is_empty() {
        for r in query(tx, &delivery::ENDPOINT_OF, &[&unnamed]).await? {
            endpoint_of.insert(col(&r, 0)?, col(&r, 1)?);
        }
    }
    let by_endpoint = group_by_endpoint(outcomes, |o| match &o.attempt {
        Some(a) => Some(a.endpoint_id.clone()),
        None => endpoint_of.get(&o.delivery_id).cloned(),
    });
    if by_endpoint.is_empty() {
        return Ok(Recorded::default());
    }
    let ids: Vec<&str> = by_endpoint.keys().map(String::as_str).collect();
    let seen = read(tx, &ids, false).await?;
    let changing: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| {
            seen.get(*id).is_some_and(|(disabled, _, _, before)| {
                let f = by_endpoint[*id].fold(*before, policy);
                f.state != *before || (f.disable.is_some() && !disabled)
            })
        })
        .collect();
    if changing.is_empty() {
        return Ok(Recorded::default());
    }
    let locked = read(tx, &changing, true).await?;
    let mut recorded = Recorded::default();
    let mut writes: Vec<(String, EndpointControl)> = Vec::new();
    // (when, the change to report if the disable takes).
    let mut disables: Vec<(i64, ControlChange)> = Vec::new();
    for id in changing {
        let (Some((disabled, app_id, uid, before)), Some(batch)) =
            (locked.get(id), by_endpoint.get(id))
        else {
            continue;
        };
        let f = batch.fold(*before, policy);
        let change = |kind| ControlChange {
            endpoint_id: id.to_string(),
            app_id: app_id.clone(),
            endpoint_uid: uid.clone(),
            kind,
        };
        if let Some((failures, until)) = f.opened {
            recorded
                .changes
                .push(change(ControlChangeKind::CircuitOpened { failures, until }));
        }
        if f.closed {
            recorded
                .changes
                .push(change(ControlChangeKind::CircuitClosed));
        }
        if f.state != *before {
            writes.push((id.to_string(), f.state));
        }
        if let Some((at, fail_since, gone)) = f.disable.filter(|_| !disabled) {
            disables.push((at, change(ControlChangeKind::Disabled { fail_since, gone })));
        }
    }
    write_states(tx, &writes).await?;
    if !disables.is_empty() {
        let ids: Vec<&str> = disables.iter().map(|d| d.1.endpoint_id.as_str()).collect();
        let at: Vec<i64> = disables.iter().map(|d| d.0).collect();
        let rows = query(tx, &endpoint::DISABLE_IF_ENABLED, &[&ids, &at]).await?;
        let mut done = std::collections::HashSet::new();
        for r in &rows {
            done.insert(col::<String>(r, 0)?);
        }
        recorded.changes.extend(
            disables
                .into_iter()
                .map(|(_, c)| c)
                .filter(|c| done.contains(&c.endpoint_id)),
        );
    }
    Ok(recorded)
}

/// Writes the outcome-owned columns of the changed state rows in one statement.
async fn write_states(tx: &Transaction<'_>, w: &[(String, EndpointControl)]) -> StoreResult<()> {
    if w.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = w.iter().map(|(id, _)| id.as_str()).collect();
    let paused: Vec<i64> = w.iter().map(|(_, s)| s.paused_until).collect();
    let failures: Vec<i64> = w.iter().map(|(_, s)| i64::from(s.failures)).collect();
    let since: Vec<Option<i64>> = w.iter().map(|(_, s)| s.failing_since).collect();
    let circuit: Vec<i32> = w.iter().map(|(_, s)| s.circuit.as_i64() as i32).collect();
    let open_until: Vec<i64> = w.iter().map(|(_, s)| s.open_until).collect();
    let cooldown: Vec<i64> = w.iter().map(|(_, s)| s.cooldown_ms).collect();
    super::db::exec(
        tx,
        &endpoint_state::UPSERT,
        &[
            &ids,
            &paused,
            &failures,
            &since,
            &circuit,
            &open_until,
            &cooldown,
        ],
    )
    .await?;
    Ok(())
}
