//! What happens to deliveries after a claim: recording the outcomes of tries, and putting
//! deliveries back in the queue (resend, recover, orphans of a dead process).

use rusqlite::{params, Connection};
use sluice_core::control::ControlPolicy;
use sluice_core::model::{DeliveryStatus, Trigger};
use sluice_core::queue::{ControlChangeKind, DeliveryNext, Outcome, Recorded};

use super::attempts::insert_attempt;
use super::control::apply_outcomes;
use super::db::{exec, prepare, query_opt};
use super::messages::{endpoint_of_app, insert_delivery};
use super::queries::{delivery, message};
use super::rows::backend;
use crate::{ConflictKind, StoreError, StoreResult};

/// Applies a batch of outcomes and their endpoints' delivery control (see
/// [`super::control`]); returns whether one of them made due work claimable at once (a
/// retry due at its try time, a circuit closed), and the control changes.
///
/// The attempt is recorded unconditionally (the try happened), but the delivery changes only
/// while it is still `Sending` under the outcome's lease: if the lease expired and another
/// dispatcher claimed the delivery, that claimer's outcome is the one that counts. Endpoint
/// control counts every try that was made, fenced or not.
pub(crate) fn record_outcomes(
    c: &Connection,
    outcomes: &[Outcome],
    policy: &ControlPolicy,
) -> StoreResult<(bool, Recorded)> {
    let mut update = prepare(c, &delivery::RECORD_OUTCOME)?;
    let mut wake = false;
    for o in outcomes {
        if let Some(a) = &o.attempt {
            insert_attempt(c, a)?;
        }
        let tried_at = o.attempt.as_ref().map(|a| a.created_at);
        let (status, next) = match o.next {
            DeliveryNext::Succeeded => (DeliveryStatus::Success, None),
            DeliveryNext::RetryAt(t) => (DeliveryStatus::Pending, Some(t)),
            DeliveryNext::Failed => (DeliveryStatus::Fail, None),
        };
        let changed = update
            .execute(params![
                o.delivery_id,
                o.lease,
                status as i64,
                next,
                i64::from(o.attempt.is_some()),
                tried_at
            ])
            .map_err(backend)?;
        if changed > 0 {
            if let (DeliveryNext::RetryAt(t), Some(at)) = (o.next, tried_at) {
                wake |= t <= at;
            }
        }
    }
    // Regardless of the leases: the endpoint itself said it is gone, or keeps failing.
    let recorded = apply_outcomes(c, outcomes, policy)?;
    wake |= recorded
        .changes
        .iter()
        .any(|ch| ch.kind == ControlChangeKind::CircuitClosed);
    Ok((wake, recorded))
}

/// Queues one manual try of a message to an endpoint of its app; returns whether the
/// delivery is now waiting to be sent (false when it is already in flight).
pub(crate) fn resend(
    c: &Connection,
    msg_id: &str,
    endpoint_id: &str,
    now: i64,
) -> StoreResult<bool> {
    let (app_id, expunged): (String, Option<i64>) =
        query_opt(c, &message::APP_AND_EXPUNGED, [msg_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .ok_or(StoreError::NotFound)?;
    if expunged.is_some() {
        return Err(StoreError::Conflict(ConflictKind::PayloadExpunged));
    }
    let endpoint_id = endpoint_of_app(c, &app_id, endpoint_id)?;
    let existing: Option<(String, i64)> = query_opt(
        c,
        &delivery::BY_MESSAGE_ENDPOINT,
        params![msg_id, endpoint_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let Some((id, status)) = existing else {
        insert_delivery(c, msg_id, &endpoint_id, &app_id, now, now, Trigger::Manual)?;
        return Ok(true);
    };
    let sql = match DeliveryStatus::from_i64(status) {
        // Finished: a fresh manual round.
        Some(DeliveryStatus::Success | DeliveryStatus::Fail) => &delivery::RESTART_ROUND,
        // Waiting for a retry: make it due now, keeping its round.
        Some(DeliveryStatus::Pending) => &delivery::MAKE_DUE,
        // In flight: the try under way is the resend.
        Some(DeliveryStatus::Sending) | None => return Ok(false),
    };
    exec(c, sql, params![id, now])?;
    Ok(true)
}

/// Puts the endpoint's failed deliveries created in `[since, until)` back in the queue with
/// a fresh scheduled round; returns how many. Messages without a payload (expunged) have
/// nothing left to send and are skipped.
pub(crate) fn recover_endpoint(
    c: &Connection,
    endpoint_id: &str,
    since: i64,
    until: i64,
    now: i64,
) -> StoreResult<u64> {
    let n = exec(
        c,
        &delivery::RECOVER,
        params![endpoint_id, since, until, now],
    )?;
    Ok(n as u64)
}

/// Puts every in-flight (`Sending`) delivery back in the queue, due at `now`. Only correct
/// while holding the single-process lock: then no live claimer owns those leases.
pub(crate) fn requeue_orphaned(c: &Connection, now: i64) -> StoreResult<u64> {
    let n = exec(c, &delivery::REQUEUE_ORPHANED, [now])?;
    Ok(n as u64)
}
