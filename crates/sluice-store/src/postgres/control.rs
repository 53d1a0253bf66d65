//! The `endpoint_state` rows of delivery control (see `sluice_core::control` for the
//! rules), shared by every node.
//!
//! - The claim (serialised cluster-wide by its advisory lock) reads the state with the
//!   endpoints it considers and writes what it reserved ([`write_reservations`]): the
//!   throttle's next send time, which only claims move, and probes.
//! - A batch of outcomes locks its endpoints' rows in id order (`endpoint` first, then
//!   their state rows), folds its tries into the state in memory and writes only the rows
//!   that changed, in one statement ([`apply_outcomes`]). So a healthy, unthrottled
//!   endpoint costs one indexed read per batch and no state write, and outcome batches of
//!   several nodes change one endpoint one after the other.

use std::collections::{BTreeMap, HashMap};

use deadpool_postgres::Transaction;
use sluice_core::control::{Circuit, ControlPolicy, EndpointControl};
use sluice_core::queue::{ControlChange, ControlChangeKind, Outcome, Recorded};
use sluice_core::retry::OutcomeClass;
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

/// One endpoint's share of a batch: its tries, and the time of a 410 if it answered one.
#[derive(Default)]
struct Tries {
    tries: Vec<(i64, OutcomeClass, Option<i64>)>,
    gone_at: Option<i64>,
}

/// Folds a batch's tries into their endpoints' control state, disables the endpoints
/// that answered 410 or have failed for too long, and returns what changed.
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
    let fallback = outcomes
        .iter()
        .filter_map(|o| o.attempt.as_ref().map(|a| a.created_at))
        .max()
        .unwrap_or(0);
    let mut by_endpoint: BTreeMap<String, Tries> = BTreeMap::new();
    for o in outcomes {
        let ep = match &o.attempt {
            Some(a) => a.endpoint_id.clone(),
            None if o.disable_endpoint => match endpoint_of.get(&o.delivery_id) {
                Some(ep) => ep.clone(),
                None => continue,
            },
            None => continue,
        };
        let entry = by_endpoint.entry(ep).or_default();
        let at = o.attempt.as_ref().map_or(fallback, |a| a.created_at);
        if let Some(class) = o.class() {
            entry.tries.push((at, class, o.retry_after_ms));
        }
        if o.disable_endpoint {
            entry.gone_at = Some(entry.gone_at.map_or(at, |g: i64| g.max(at)));
        }
    }
    if by_endpoint.is_empty() {
        return Ok(Recorded::default());
    }
    let ids: Vec<&str> = by_endpoint.keys().map(String::as_str).collect();
    // Endpoints first, then their state rows, both in id order.
    let eps = query(tx, &endpoint::LOCK_OF_OUTCOMES, &[&ids]).await?;
    let states = query(tx, &endpoint_state::LOCK, &[&ids]).await?;
    let mut stored: HashMap<String, EndpointControl> = HashMap::new();
    for r in &states {
        stored.insert(col(r, 0)?, control_at(r, 1)?);
    }
    let mut recorded = Recorded::default();
    let mut writes: Vec<(String, EndpointControl)> = Vec::new();
    // (when, the change to report if the disable takes).
    let mut disables: Vec<(i64, ControlChange)> = Vec::new();
    for r in &eps {
        let (id, disabled, app_id, uid): (String, bool, String, Option<String>) =
            (col(r, 0)?, col(r, 1)?, col(r, 2)?, col(r, 3)?);
        let Some(batch) = by_endpoint.get_mut(&id) else {
            continue;
        };
        batch.tries.sort_by_key(|t| t.0);
        let before = stored.get(&id).copied().unwrap_or_default();
        let mut state = before;
        let (mut opened, mut closed, mut disable) = (None, false, None);
        for &(at, class, retry_after) in &batch.tries {
            let t = state.observe(class, at, retry_after, policy);
            if let Some(o) = t.opened {
                opened = Some(o);
                closed = false;
            }
            if t.closed {
                closed = true;
                opened = None;
            }
            if let Some(since) = t.disable_since {
                disable.get_or_insert((at, Some(since), false));
            }
        }
        if let Some(at) = batch.gone_at {
            disable = Some((at, state.failing_since, true));
        }
        let change = |kind| ControlChange {
            endpoint_id: id.clone(),
            app_id: app_id.clone(),
            endpoint_uid: uid.clone(),
            kind,
        };
        if let Some((failures, until)) = opened {
            recorded
                .changes
                .push(change(ControlChangeKind::CircuitOpened { failures, until }));
        }
        if closed {
            recorded
                .changes
                .push(change(ControlChangeKind::CircuitClosed));
        }
        if state != before {
            writes.push((id.clone(), state));
        }
        if let Some((at, fail_since, gone)) = disable.filter(|_| !disabled) {
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
