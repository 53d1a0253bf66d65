//! Issued app-portal tokens, so that logout and expire-all end them on every node sharing
//! the database (a JWT alone cannot be taken back before its `exp`).

use sluice_core::Millis;

use super::db::{exec, query_opt};
use super::queries::portal_token;
use super::rows::col;
use super::PgStore;
use crate::{PortalToken, StoreError, StoreResult};

pub(super) async fn create_portal_token(s: &PgStore, t: PortalToken) -> StoreResult<()> {
    let c = s.client().await?;
    exec(
        &c,
        &portal_token::INSERT,
        &[
            &t.id,
            &t.org_id,
            &t.app_id,
            &t.session_id,
            &t.created_at,
            &t.valid_until,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn portal_token(s: &PgStore, id: &str) -> StoreResult<Option<PortalToken>> {
    let c = s.client().await?;
    let Some(r) = query_opt(&c, &portal_token::GET, &[&id]).await? else {
        return Ok(None);
    };
    Ok(Some(PortalToken {
        id: col(&r, 0)?,
        org_id: col(&r, 1)?,
        app_id: col(&r, 2)?,
        session_id: col(&r, 3)?,
        created_at: col(&r, 4)?,
        valid_until: col(&r, 5)?,
    }))
}

pub(super) async fn revoke_portal_token(s: &PgStore, id: &str, at: Millis) -> StoreResult<()> {
    let c = s.client().await?;
    if exec(&c, &portal_token::REVOKE, &[&id, &at]).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Shortens the app's live tokens (or those of `session_ids`) to end at `at`; returns how
/// many were shortened.
pub(super) async fn expire_portal_tokens(
    s: &PgStore,
    app_id: &str,
    session_ids: Option<Vec<String>>,
    at: Millis,
    now: Millis,
) -> StoreResult<u64> {
    let c = s.client().await?;
    match session_ids {
        None => exec(&c, &portal_token::EXPIRE_ALL, &[&app_id, &at, &now]).await,
        Some(ids) => {
            exec(
                &c,
                &portal_token::EXPIRE_SESSION,
                &[&app_id, &at, &now, &ids],
            )
            .await
        }
    }
}

pub(super) async fn purge_portal_tokens(s: &PgStore, now: Millis) -> StoreResult<u64> {
    let c = s.client().await?;
    exec(&c, &portal_token::PURGE, &[&now]).await
}
