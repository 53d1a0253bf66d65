//! The `endpoint_state` rows of delivery control (see `sluice_core::control` for the
//! rules): read with the claim's gate, advanced by the claim (throttle reservations,
//! probes), and by outcomes (breaker, pause, failing clock, auto-disable).
//!
//! Outcomes change the state once per endpoint per batch: the batch's tries are folded
//! into the row in memory and the row is written only if it changed, so a healthy,
//! unthrottled endpoint costs one indexed read per batch and no write.

use rusqlite::{params, Connection, Row};
use sluice_core::control::{group_by_endpoint, Circuit, ControlPolicy, EndpointControl};
use sluice_core::queue::{ControlChange, ControlChangeKind, Outcome, Recorded};

use super::db::{exec, query_opt};
use super::queries::{delivery, endpoint, endpoint_state};
use crate::StoreResult;

/// The control state in the 7 columns from `base` (all NULL: no row, the default).
pub(crate) fn control_at(r: &Row<'_>, base: usize) -> rusqlite::Result<EndpointControl> {
    let get = |i: usize| r.get::<_, Option<i64>>(base + i);
    Ok(EndpointControl {
        next_send_at: get(0)?.unwrap_or(0),
        paused_until: get(1)?.unwrap_or(0),
        failures: u32::try_from(get(2)?.unwrap_or(0)).unwrap_or(u32::MAX),
        failing_since: get(3)?,
        circuit: Circuit::from_i64(get(4)?.unwrap_or(0)),
        open_until: get(5)?.unwrap_or(0),
        cooldown_ms: get(6)?.unwrap_or(0),
    })
}

/// Writes an endpoint's control state.
pub(crate) fn write_control(
    c: &Connection,
    endpoint_id: &str,
    s: &EndpointControl,
) -> StoreResult<()> {
    exec(
        c,
        &endpoint_state::UPSERT,
        params![
            endpoint_id,
            s.next_send_at,
            s.paused_until,
            i64::from(s.failures),
            s.failing_since,
            s.circuit.as_i64(),
            s.open_until,
            s.cooldown_ms
        ],
    )?;
    Ok(())
}

/// Forgets an endpoint's control state (it was re-enabled or deleted).
pub(crate) fn reset_control(c: &Connection, endpoint_id: &str) -> StoreResult<()> {
    exec(c, &endpoint_state::DELETE, [endpoint_id])?;
    Ok(())
}

/// The stored control state of the endpoints that have one (one indexed read each, on one
/// read connection).
pub(crate) fn controls_of(
    c: &Connection,
    endpoint_ids: &[String],
) -> StoreResult<std::collections::HashMap<String, EndpointControl>> {
    let mut out = std::collections::HashMap::new();
    for id in endpoint_ids {
        if let Some(s) = query_opt(c, &endpoint_state::BY_ID, [id], |r| control_at(r, 0))? {
            out.insert(id.clone(), s);
        }
    }
    Ok(out)
}

/// Endpoints whose circuit is not closed.
pub(crate) fn open_circuits(c: &Connection) -> StoreResult<u64> {
    let n: i64 = query_opt(c, &endpoint_state::COUNT_OPEN, [], |r| r.get(0))?.unwrap_or(0);
    Ok(n.max(0) as u64)
}

/// Folds a batch's tries into their endpoints' control state and disables the endpoints
/// that answered 410 or have failed for too long; returns what changed.
pub(crate) fn apply_outcomes(
    c: &Connection,
    outcomes: &[Outcome],
    policy: &ControlPolicy,
) -> StoreResult<Recorded> {
    let mut lookup_failed = None;
    let by_endpoint = group_by_endpoint(outcomes, |o| match &o.attempt {
        Some(a) => Some(a.endpoint_id.clone()),
        // A disable without a try names only its delivery.
        None => query_opt(c, &delivery::ENDPOINT_OF, [&o.delivery_id], |r| r.get(0))
            .unwrap_or_else(|e| {
                lookup_failed = Some(e);
                None
            }),
    });
    if let Some(e) = lookup_failed {
        return Err(e);
    }
    let mut recorded = Recorded::default();
    for (endpoint_id, batch) in by_endpoint {
        let row = query_opt(c, &endpoint_state::GET, [&endpoint_id], |r| {
            Ok((
                r.get::<_, bool>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                control_at(r, 3)?,
            ))
        })?;
        // The endpoint is gone (deleted meanwhile): nothing to keep.
        let Some((disabled, app_id, uid, before)) = row else {
            continue;
        };
        let f = batch.fold(before, policy);
        let change = |kind| ControlChange {
            endpoint_id: endpoint_id.clone(),
            app_id: app_id.clone(),
            endpoint_uid: uid.clone(),
            kind,
        };
        if f.state != before {
            write_control(c, &endpoint_id, &f.state)?;
        }
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
        if let Some((at, fail_since, gone)) = f.disable.filter(|_| !disabled) {
            let n = exec(c, &endpoint::DISABLE_IF_ENABLED, params![endpoint_id, at])?;
            if n > 0 {
                recorded
                    .changes
                    .push(change(ControlChangeKind::Disabled { fail_since, gone }));
            }
        }
    }
    Ok(recorded)
}
