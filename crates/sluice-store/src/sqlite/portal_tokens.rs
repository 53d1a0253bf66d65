//! Issued app-portal tokens, so that logout and expire-all end them on every node sharing
//! the database (a JWT alone cannot be taken back before its `exp`).

use rusqlite::{params, Connection};

use super::db::{exec, prepare, query_opt};
use super::queries::portal_token;
use super::rows::backend;
use crate::{PortalToken, StoreError, StoreResult};

pub(crate) fn create(c: &Connection, t: &PortalToken) -> StoreResult<()> {
    exec(
        c,
        &portal_token::INSERT,
        params![
            t.id,
            t.org_id,
            t.app_id,
            t.session_id,
            t.created_at,
            t.valid_until
        ],
    )?;
    Ok(())
}

pub(crate) fn get(c: &Connection, id: &str) -> StoreResult<Option<PortalToken>> {
    query_opt(c, &portal_token::GET, [id], |r| {
        Ok(PortalToken {
            id: r.get(0)?,
            org_id: r.get(1)?,
            app_id: r.get(2)?,
            session_id: r.get(3)?,
            created_at: r.get(4)?,
            valid_until: r.get(5)?,
        })
    })
}

pub(crate) fn revoke(c: &Connection, id: &str, at: i64) -> StoreResult<()> {
    let n = exec(c, &portal_token::REVOKE, params![id, at])?;
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
    let n = match session_ids {
        None => exec(c, &portal_token::EXPIRE_ALL, params![app_id, at, now])?,
        Some(ids) => {
            let mut stmt = prepare(c, &portal_token::EXPIRE_SESSION)?;
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
    let n = exec(c, &portal_token::PURGE, [now])?;
    Ok(n as u64)
}
