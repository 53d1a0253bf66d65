//! What happens to deliveries after a claim: recording the outcomes of tries, and putting
//! deliveries back in the queue (resend, recover, orphans of a dead process).

use rusqlite::{params, Connection, OptionalExtension};
use sluice_core::model::{DeliveryStatus, Trigger};
use sluice_core::queue::{DeliveryNext, Outcome};

use super::attempts::insert_attempt;
use super::messages::{endpoint_of_app, insert_delivery};
use super::rows::backend;
use crate::{ConflictKind, StoreError, StoreResult};

/// Applies a batch of outcomes; returns whether one of them made its delivery due at once.
///
/// The attempt is recorded unconditionally (the try happened), but the delivery changes only
/// while it is still `Sending` under the outcome's lease: if the lease expired and another
/// dispatcher claimed the delivery, that claimer's outcome is the one that counts.
pub(crate) fn record_outcomes(c: &Connection, outcomes: &[Outcome]) -> StoreResult<bool> {
    let mut update = c
        .prepare_cached(
            "UPDATE delivery SET status = ?3, next_attempt_at = ?4, lease = NULL, \
             attempts = attempts + ?5, round_attempts = round_attempts + ?5, \
             updated_at = COALESCE(?6, updated_at) \
             WHERE id = ?1 AND status = 3 AND lease = ?2",
        )
        .map_err(backend)?;
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
        if o.disable_endpoint {
            // Regardless of the lease: the endpoint itself said it is gone.
            let endpoint = o.attempt.as_ref().map(|a| a.endpoint_id.as_str());
            c.prepare_cached(
                "UPDATE endpoint SET disabled = 1, updated_at = COALESCE(?3, updated_at) \
                 WHERE id = COALESCE(?2, (SELECT endpoint_id FROM delivery WHERE id = ?1))",
            )
            .map_err(backend)?
            .execute(params![o.delivery_id, endpoint, tried_at])
            .map_err(backend)?;
        }
    }
    Ok(wake)
}

/// Queues one manual try of a message to an endpoint of its app; returns whether the
/// delivery is now waiting to be sent (false when it is already in flight).
pub(crate) fn resend(
    c: &Connection,
    msg_id: &str,
    endpoint_id: &str,
    now: i64,
) -> StoreResult<bool> {
    let (app_id, expunged): (String, Option<i64>) = c
        .prepare_cached("SELECT app_id, expunged_at FROM message WHERE id = ?1")
        .map_err(backend)?
        .query_row([msg_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
    if expunged.is_some() {
        return Err(StoreError::Conflict(ConflictKind::PayloadExpunged));
    }
    let endpoint_id = endpoint_of_app(c, &app_id, endpoint_id)?;
    let existing: Option<(String, i64)> = c
        .prepare_cached("SELECT id, status FROM delivery WHERE msg_id = ?1 AND endpoint_id = ?2")
        .map_err(backend)?
        .query_row(params![msg_id, endpoint_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(backend)?;
    let Some((id, status)) = existing else {
        insert_delivery(c, msg_id, &endpoint_id, &app_id, now, now, Trigger::Manual)?;
        return Ok(true);
    };
    let sql = match DeliveryStatus::from_i64(status) {
        // Finished: a fresh manual round.
        Some(DeliveryStatus::Success | DeliveryStatus::Fail) => {
            "UPDATE delivery SET status = 1, next_attempt_at = ?2, round_attempts = 0, \
             trigger = 1, lease = NULL, updated_at = ?2 WHERE id = ?1"
        }
        // Waiting for a retry: make it due now, keeping its round.
        Some(DeliveryStatus::Pending) => {
            "UPDATE delivery SET next_attempt_at = MIN(next_attempt_at, ?2), updated_at = ?2 \
             WHERE id = ?1"
        }
        // In flight: the try under way is the resend.
        Some(DeliveryStatus::Sending) | None => return Ok(false),
    };
    c.prepare_cached(sql)
        .map_err(backend)?
        .execute(params![id, now])
        .map_err(backend)?;
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
    let n = c
        .prepare_cached(
            "UPDATE delivery SET status = 1, next_attempt_at = ?4, round_attempts = 0, \
             trigger = 1, lease = NULL, updated_at = ?4 \
             WHERE endpoint_id = ?1 AND status = 2 AND created_at >= ?2 AND created_at < ?3 \
             AND NOT EXISTS (SELECT 1 FROM message m \
                             WHERE m.id = delivery.msg_id AND m.expunged_at IS NOT NULL)",
        )
        .map_err(backend)?
        .execute(params![endpoint_id, since, until, now])
        .map_err(backend)?;
    Ok(n as u64)
}

/// Puts every in-flight (`Sending`) delivery back in the queue, due at `now`. Only correct
/// while holding the single-process lock: then no live claimer owns those leases.
pub(crate) fn requeue_orphaned(c: &Connection, now: i64) -> StoreResult<u64> {
    let n = c
        .prepare_cached(
            "UPDATE delivery SET status = 1, next_attempt_at = ?1, lease = NULL, updated_at = ?1 \
             WHERE status = 3",
        )
        .map_err(backend)?
        .execute(params![now])
        .map_err(backend)?;
    Ok(n as u64)
}
