//! Expunging content: a message's payload, an attempt's response body.
//!
//! "Removed for good" has to hold for the files, not only for queries. SQLite leaves the
//! bytes of a replaced or deleted row in the page's free space, and overflow pages of a
//! large payload go to the freelist unchanged. So the statements run with
//! `secure_delete = ON`, which overwrites freed cell space and freed pages with zeros, and
//! the store then has the WAL checkpointed and truncated (see
//! [`super::checkpointer::Checkpointer::truncate`]), so no older frame holding the payload
//! survives there either. `secure_delete` is switched on only around these statements: it
//! costs extra writes, which the hot path does not need.
//!
//! What this cannot reach: stale fragments that SQLite left in a page's unused gap when it
//! rebalanced the page *before* the expunge (SQLite does not zero those even with
//! `secure_delete`). Only rewriting the whole file (`VACUUM`) removes those.

use rusqlite::{params, Connection};

use super::db::exec;
use super::queries::{attempt, delivery, idempotency, message};
use super::rows::backend;
use crate::{StoreError, StoreResult};

/// What an expunged attempt's response reads (Svix's text).
pub(crate) const EXPUNGED_RESPONSE: &str = "EXPUNGED";

/// Runs `f` with `secure_delete` on, and switches it back off whatever `f` returned.
pub(crate) fn with_secure_delete<T>(
    c: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    c.execute_batch("PRAGMA secure_delete = ON")
        .map_err(backend)?;
    let out = f(c);
    let reset = c
        .execute_batch("PRAGMA secure_delete = OFF")
        .map_err(backend);
    let out = out?;
    reset?;
    Ok(out)
}

/// Empties the payload and inbound headers of message `msg_id` of `app_id`, fails its
/// deliveries that wait for a try, and drops cached responses that quote it.
pub(crate) fn expunge_message(
    c: &Connection,
    app_id: &str,
    msg_id: &str,
    now: i64,
) -> StoreResult<()> {
    with_secure_delete(c, |c| expunge_one(c, app_id, msg_id, now))
}

/// [`expunge_message`]'s statements, for a caller that has `secure_delete` on already (the
/// retention cleaner, which expunges a batch under one switch).
pub(crate) fn expunge_one(c: &Connection, app_id: &str, msg_id: &str, now: i64) -> StoreResult<()> {
    let found = exec(c, &message::EXPUNGE, params![msg_id, app_id, now])?;
    if found == 0 {
        return Err(StoreError::NotFound);
    }
    // Pending tries can never be sent now. One in flight has its body in memory and
    // finishes; a retry it schedules is failed by the claim.
    exec(c, &delivery::FAIL_WAITING_OF_MESSAGE, params![msg_id, now])?;
    // An idempotent replay of the publish (or send-example) would hand the payload out
    // again: drop the cached responses that show this message.
    exec(c, &idempotency::DELETE_OF_MESSAGE, [msg_id])?;
    Ok(())
}

/// Replaces an attempt's response body with [`EXPUNGED_RESPONSE`].
pub(crate) fn expunge_attempt(
    c: &Connection,
    app_id: &str,
    msg_id: &str,
    attempt_id: &str,
) -> StoreResult<()> {
    with_secure_delete(c, |c| {
        let found = exec(
            c,
            &attempt::EXPUNGE,
            params![attempt_id, app_id, msg_id, EXPUNGED_RESPONSE],
        )?;
        if found == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    })
}
