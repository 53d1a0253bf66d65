//! Expunging content: a message's payload, an attempt's response body.
//!
//! Each expunge is one transaction: the message's payload becomes `''` and its inbound
//! headers an empty list (the same stored values as SQLite's), its deliveries waiting for a
//! try are failed, and the cached idempotent responses that quote it are dropped.
//!
//! PostgreSQL has no `secure_delete`: an `UPDATE` writes a new row version and leaves the
//! old one, payload included, in the table's pages (and in the WAL) until `VACUUM` reclaims
//! it. Autovacuum does so in time; an operator who needs the old versions gone at once runs
//! `VACUUM` on `message`, `attempt` and `idempotency` (the store never runs it inside a
//! request: it is slow, and cannot run in a transaction). WAL segments and base backups
//! keep the old bytes until they are recycled or expire, which is the operator's retention.

use sluice_core::Millis;

use super::db::exec;
use super::queries::{attempt, delivery, idempotency, message};
use super::{errors::pg, PgStore};
use crate::{StoreError, StoreResult};

/// What an expunged attempt's response reads (Svix's text).
const EXPUNGED_RESPONSE: &str = "EXPUNGED";

/// Empties the payload and inbound headers of message `msg_id` of `app_id`, fails its
/// deliveries that wait for a try, and drops cached responses that quote it.
pub(super) async fn expunge_message_content(
    s: &PgStore,
    app_id: &str,
    msg_id: &str,
    now: Millis,
) -> StoreResult<()> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    if !expunge_in(&tx, app_id, msg_id, now).await? {
        return Err(StoreError::NotFound);
    }
    tx.commit().await.map_err(pg)
}

/// The statements of an expunge, inside the caller's transaction (one message, or a
/// task's batch); false if the app has no such message.
pub(super) async fn expunge_in(
    tx: &deadpool_postgres::Transaction<'_>,
    app_id: &str,
    msg_id: &str,
    now: Millis,
) -> StoreResult<bool> {
    if exec(tx, &message::EXPUNGE, &[&msg_id, &app_id, &now]).await? == 0 {
        return Ok(false);
    }
    // Pending tries can never be sent now. One in flight has its body in memory and
    // finishes; a retry it schedules is failed by the claim.
    exec(tx, &delivery::FAIL_WAITING_OF_MESSAGE, &[&msg_id, &now]).await?;
    // An idempotent replay of the publish (or send-example) would hand the payload out
    // again: drop the cached responses that show this message.
    exec(tx, &idempotency::DELETE_OF_MESSAGE, &[&msg_id]).await?;
    Ok(true)
}

/// Replaces an attempt's response body with [`EXPUNGED_RESPONSE`].
pub(super) async fn expunge_attempt_content(
    s: &PgStore,
    app_id: &str,
    msg_id: &str,
    attempt_id: &str,
) -> StoreResult<()> {
    let c = s.client().await?;
    let n = exec(
        &c,
        &attempt::EXPUNGE,
        &[&attempt_id, &app_id, &msg_id, &EXPUNGED_RESPONSE],
    )
    .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
