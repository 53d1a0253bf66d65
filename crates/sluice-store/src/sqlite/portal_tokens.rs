//! Issued app-portal tokens, so that logout and expire-all end them on every node sharing
//! the database (a JWT alone cannot be taken back before its `exp`).

use rusqlite::{params, Connection, OptionalExtension};

use super::rows::backend;
use crate::{PortalToken, StoreError, StoreResult};

pub(crate) fn create(c: &Connection, t: &PortalToken) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO portal_token (id, org_id, app_id, session_id, created_at, valid_until) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .map_err(backend)?
    .execute(params![
        t.id,
        t.org_id,
        t.app_id,
        t.session_id,
        t.created_at,
        t.valid_until
    ])
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn get(c: &Connection, id: &str) -> StoreResult<Option<PortalToken>> {
    c.prepare_cached(
        "SELECT id, org_id, app_id, session_id, created_at, valid_until \
         FROM portal_token WHERE id = ?1",
    )
    .map_err(backend)?
    .query_row([id], |r| {
        Ok(PortalToken {
            id: r.get(0)?,
            org_id: r.get(1)?,
            app_id: r.get(2)?,
            session_id: r.get(3)?,
            created_at: r.get(4)?,
            valid_until: r.get(5)?,
        })
    })
    .optional()
    .map_err(backend)
}

pub(crate) fn revoke(c: &Connection, id: &str, at: i64) -> StoreResult<()> {
    let n = c
        .prepare_cached("UPDATE portal_token SET valid_until = MIN(valid_until, ?2) WHERE id = ?1")
        .map_err(backend)?
        .execute(params![id, at])
        .map_err(backend)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(crate) fn expire(
    c: &Connection,
    app_id: &str,
    session_ids: Option<&[String]>,
    at: i64,
    now: i64,
) -> StoreResult<u64> {
    // `valid_until > at` leaves tokens that already end sooner alone (and makes the count
    // mean "shortened"); `> now` skips the dead rows waiting for the purge.
    const ALL: &str = "UPDATE portal_token SET valid_until = ?2 \
                       WHERE app_id = ?1 AND valid_until > ?2 AND valid_until > ?3";
    const ONE: &str = "UPDATE portal_token SET valid_until = ?2 \
                       WHERE app_id = ?1 AND valid_until > ?2 AND valid_until > ?3 \
                       AND session_id = ?4";
    let n = match session_ids {
        None => c
            .prepare_cached(ALL)
            .map_err(backend)?
            .execute(params![app_id, at, now])
            .map_err(backend)?,
        Some(ids) => {
            let mut stmt = c.prepare_cached(ONE).map_err(backend)?;
            let mut n = 0;
            for sid in ids {
                n += stmt
                    .execute(params![app_id, at, now, sid])
                    .map_err(backend)?;
            }
            n
        }
    };
    Ok(n as u64)
}

pub(crate) fn purge(c: &Connection, now: i64) -> StoreResult<u64> {
    let n = c
        .prepare_cached("DELETE FROM portal_token WHERE valid_until <= ?1")
        .map_err(backend)?
        .execute([now])
        .map_err(backend)?;
    Ok(n as u64)
}
