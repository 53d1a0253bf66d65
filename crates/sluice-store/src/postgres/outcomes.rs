//! What happens to deliveries after a claim: recording the outcomes of tries (one
//! transaction per batch, one statement per table), and putting deliveries back in the
//! queue (resend, recover). Each write that makes work due notifies every node.

use sluice_core::control::ControlPolicy;
use sluice_core::ids;
use sluice_core::model::{DeliveryStatus, Trigger};
use sluice_core::queue::{ControlChangeKind, DeliveryNext, Outcome, Recorded};
use sluice_core::Millis;

use super::control;
use super::db::{exec, query, query_opt};
use super::errors::pg;
use super::queries::{attempt, delivery, endpoint, message};
use super::rows::col;
use super::PgStore;
use crate::commits::{self, Op};
use crate::{ConflictKind, StoreError, StoreResult};

/// Applies a batch of outcomes in one transaction.
///
/// Every attempt is recorded (the try happened), but a delivery changes only while it is
/// still `Sending` under the outcome's lease: if the lease expired and another node claimed
/// the delivery, that claimer's outcome is the one that counts. The attempt insert and the
/// delivery update run pipelined on the connection; deliveries are updated in id order, so
/// two batches touching the same rows wait in one order.
///
/// Then the endpoints' delivery control is applied (see [`super::control`]): it counts
/// every try that was made, fenced or not, and returns the changes, reported after the
/// commit.
pub(super) async fn record_outcomes(
    s: &PgStore,
    mut outcomes: Vec<Outcome>,
    policy: &ControlPolicy,
) -> StoreResult<Recorded> {
    outcomes.sort_by(|a, b| a.delivery_id.cmp(&b.delivery_id));
    let mut c = s.client().await?;
    let started = std::time::Instant::now();
    let tx = c.transaction().await.map_err(pg)?;
    let ((), updated) = futures::try_join!(
        insert_attempts(&tx, &outcomes),
        update_deliveries(&tx, &outcomes)
    )?;
    // A retry due at or before its try time is due now: wake the dispatchers.
    let wake = outcomes.iter().any(|o| {
        let tried_at = o.attempt.as_ref().map(|a| a.created_at);
        matches!((o.next, tried_at), (DeliveryNext::RetryAt(t), Some(at)) if t <= at)
            && updated.contains(&o.delivery_id)
    });
    // Regardless of the leases: the endpoint itself said it is gone, or keeps failing.
    let recorded = control::apply_outcomes(&tx, &outcomes, policy).await?;
    let wake = wake
        || recorded
            .changes
            .iter()
            .any(|ch| ch.kind == ControlChangeKind::CircuitClosed);
    commit_waking(s, tx, wake).await?;
    commits::record(Op::Outcomes, started.elapsed(), outcomes.len());
    Ok(recorded)
}

/// Commits `tx` and then, if it created due work, wakes this node and the others.
async fn commit_waking(
    s: &PgStore,
    tx: deadpool_postgres::Transaction<'_>,
    wake: bool,
) -> StoreResult<()> {
    tx.commit().await.map_err(pg)?;
    if wake {
        s.committed_work();
    }
    Ok(())
}

async fn insert_attempts(
    tx: &deadpool_postgres::Transaction<'_>,
    outcomes: &[Outcome],
) -> StoreResult<()> {
    let tries: Vec<_> = outcomes.iter().filter_map(|o| o.attempt.as_ref()).collect();
    if tries.is_empty() {
        return Ok(());
    }
    let text = |f: fn(&sluice_core::model::Attempt) -> &str| -> Vec<&str> {
        tries.iter().map(|a| f(a)).collect()
    };
    let codes: Vec<i32> = tries.iter().map(|a| a.response_status_code).collect();
    let durations: Vec<i64> = tries.iter().map(|a| a.response_duration_ms).collect();
    let statuses: Vec<i32> = tries.iter().map(|a| a.status as i32).collect();
    let triggers: Vec<i32> = tries.iter().map(|a| a.trigger as i32).collect();
    let classes: Vec<Option<&str>> = tries.iter().map(|a| a.error_class.as_deref()).collect();
    let created: Vec<i64> = tries.iter().map(|a| a.created_at).collect();
    exec(
        tx,
        &attempt::INSERT,
        &[
            &text(|a| &a.id),
            &text(|a| &a.delivery_id),
            &text(|a| &a.msg_id),
            &text(|a| &a.endpoint_id),
            &text(|a| &a.app_id),
            &text(|a| &a.url),
            &text(|a| &a.response),
            &codes,
            &durations,
            &statuses,
            &triggers,
            &classes,
            &created,
        ],
    )
    .await?;
    Ok(())
}

/// Applies the outcomes to their deliveries (fenced by lease); returns the ids changed.
async fn update_deliveries(
    tx: &deadpool_postgres::Transaction<'_>,
    outcomes: &[Outcome],
) -> StoreResult<std::collections::HashSet<String>> {
    let ids: Vec<&str> = outcomes.iter().map(|o| o.delivery_id.as_str()).collect();
    let leases: Vec<i64> = outcomes.iter().map(|o| o.lease).collect();
    let (mut statuses, mut next) = (Vec::new(), Vec::new());
    for o in outcomes {
        let (status, at) = match o.next {
            DeliveryNext::Succeeded => (DeliveryStatus::Success, None),
            DeliveryNext::RetryAt(t) => (DeliveryStatus::Pending, Some(t)),
            DeliveryNext::Failed => (DeliveryStatus::Fail, None),
        };
        statuses.push(status as i32);
        next.push(at);
    }
    let tried: Vec<i32> = outcomes
        .iter()
        .map(|o| i32::from(o.attempt.is_some()))
        .collect();
    let tried_at: Vec<Option<i64>> = outcomes
        .iter()
        .map(|o| o.attempt.as_ref().map(|a| a.created_at))
        .collect();
    let rows = query(
        tx,
        &delivery::RECORD_OUTCOME,
        &[&ids, &leases, &statuses, &next, &tried, &tried_at],
    )
    .await?;
    rows.iter().map(|r| col(r, 0)).collect()
}

/// Queues one manual try of a message to an endpoint of its app, in one transaction;
/// nothing changes when the delivery is in flight (the try under way is the resend).
pub(super) async fn resend(
    s: &PgStore,
    msg_id: &str,
    endpoint_id: &str,
    now: Millis,
) -> StoreResult<()> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let row = query_opt(&tx, &message::APP_AND_EXPUNGED, &[&msg_id])
        .await?
        .ok_or(StoreError::NotFound)?;
    let (app_id, expunged): (String, Option<i64>) = (col(&row, 0)?, col(&row, 1)?);
    if expunged.is_some() {
        return Err(StoreError::Conflict(ConflictKind::PayloadExpunged));
    }
    query_opt(&tx, &endpoint::OF_APP, &[&endpoint_id, &app_id])
        .await?
        .ok_or(StoreError::NotFound)?;
    let existing = query_opt(
        &tx,
        &delivery::BY_MESSAGE_ENDPOINT,
        &[&msg_id, &endpoint_id],
    )
    .await?;
    let due = match existing {
        None => {
            let id = ids::new_id(ids::DELIVERY, now);
            let trigger = Trigger::Manual as i32;
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 7] =
                [&id, &msg_id, &endpoint_id, &app_id, &now, &trigger, &now];
            // Nothing inserted: a concurrent resend made the delivery, due now.
            exec(&tx, &delivery::INSERT, &params).await?;
            true
        }
        Some(row) => {
            let (id, status): (String, i32) = (col(&row, 0)?, col(&row, 1)?);
            let sql = match DeliveryStatus::from_i64(status.into()) {
                // Finished: a fresh manual round.
                Some(DeliveryStatus::Success | DeliveryStatus::Fail) => {
                    Some(&delivery::RESTART_ROUND)
                }
                // Waiting for a retry: make it due now, keeping its round.
                Some(DeliveryStatus::Pending) => Some(&delivery::MAKE_DUE),
                // In flight: the try under way is the resend.
                Some(DeliveryStatus::Sending) | None => None,
            };
            if let Some(sql) = sql {
                exec(&tx, sql, &[&id, &now]).await?;
            }
            sql.is_some()
        }
    };
    commit_waking(s, tx, due).await
}

/// Puts the endpoint's failed deliveries created in `[since, until)` back in the queue with
/// a fresh round; returns how many. Messages without a payload (expunged) are skipped.
pub(super) async fn recover_endpoint(
    s: &PgStore,
    endpoint_id: &str,
    since: Millis,
    until: Millis,
    now: Millis,
) -> StoreResult<u64> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let n = exec(
        &tx,
        &delivery::RECOVER,
        &[&endpoint_id, &since, &until, &now],
    )
    .await?;
    commit_waking(s, tx, n > 0).await?;
    Ok(n)
}
