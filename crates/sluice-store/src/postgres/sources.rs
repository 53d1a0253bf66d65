//! Inbound sources and their ingest-URL tokens, and the purge of dedupe rows and expired
//! tokens. (The dedupe-then-insert of inbound messages is the ingest writer's.)
//!
//! No token cache in front of [`source_by_token`] (SQLite has one): several nodes share
//! the rows, and a node's cache would go on accepting a token another node rotated out or
//! whose source it deleted.

use sluice_core::model::{Application, Source};
use sluice_core::Millis;

use super::apps::{self, found};
use super::db::{exec, query, query_opt};
use super::page::ListQuery;
use super::queries::{inbound_dedupe, source, source_token};
use super::rows::{col, source_at, to_json};
use super::{errors::pg, PgStore};
use crate::{ConflictKind, Listed, Page, StoreError, StoreResult, MAX_VALID_OLD_TOKENS};

/// Number of columns of `cols.source`.
const SOURCE_NCOLS: usize = 11;

/// Inserts the source's application, the source and its current token: all or nothing.
pub(super) async fn create_source(
    s: &PgStore,
    app: Application,
    src: Source,
    token_hash: String,
) -> StoreResult<()> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    apps::insert_app(&tx, &app).await?;
    let metadata = to_json(&src.metadata)?;
    exec(
        &tx,
        &source::INSERT,
        &[
            &src.id,
            &src.org_id,
            &src.app_id,
            &src.uid,
            &src.name,
            &src.kind,
            &src.config,
            &src.token,
            &metadata,
            &src.created_at,
            &src.updated_at,
        ],
    )
    .await?;
    exec(&tx, &source_token::INSERT, &[&token_hash, &src.id]).await?;
    tx.commit().await.map_err(pg)
}

pub(super) async fn get_source(
    s: &PgStore,
    org_id: &str,
    id_or_uid: &str,
) -> StoreResult<Option<Source>> {
    let c = s.client().await?;
    query_opt(&c, &source::GET, &[&org_id, &id_or_uid])
        .await?
        .map(|r| source_at(&r, 0))
        .transpose()
}

pub(super) async fn list_sources(
    s: &PgStore,
    org_id: &str,
    page: Page,
) -> StoreResult<Listed<Source>> {
    let c = s.client().await?;
    ListQuery::new(&source::LIST, org_id.to_string())
        .fetch(&c, "s.id", &page, |r| source_at(r, 0))
        .await
}

/// Every source of one type, across organisations (the cron scheduler's view).
pub(super) async fn sources_of_kind(s: &PgStore, kind: &str) -> StoreResult<Vec<Source>> {
    let c = s.client().await?;
    query(&c, &source::OF_KIND, &[&kind])
        .await?
        .iter()
        .map(|r| source_at(r, 0))
        .collect()
}

/// Replaces the mutable fields (uid, name, kind, config, metadata); the token is changed
/// only by [`rotate_source_token`].
pub(super) async fn update_source(s: &PgStore, src: Source) -> StoreResult<()> {
    let c = s.client().await?;
    let metadata = to_json(&src.metadata)?;
    let n = exec(
        &c,
        &source::UPDATE,
        &[
            &src.id,
            &src.org_id,
            &src.uid,
            &src.name,
            &src.kind,
            &src.config,
            &metadata,
            &src.updated_at,
        ],
    )
    .await?;
    found(n)
}

/// Deletes the source (by id or uid, as SQLite's looks it up), its tokens, its dedupe rows
/// and its application with everything under it, in one transaction (the source's row is
/// locked first, so a concurrent delete or rotation waits and then finds nothing).
pub(super) async fn delete_source(s: &PgStore, org_id: &str, id_or_uid: &str) -> StoreResult<()> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let (id, app_id): (String, String) =
        match query_opt(&tx, &source::LOCK, &[&org_id, &id_or_uid]).await? {
            Some(r) => (col(&r, 0)?, col(&r, 1)?),
            None => return Err(StoreError::NotFound),
        };
    match apps::delete_app_in(&tx, org_id, &app_id).await {
        Ok(()) | Err(StoreError::NotFound) => {}
        Err(e) => return Err(e),
    }
    exec(&tx, &source_token::DELETE_OF_SOURCE, &[&id]).await?;
    exec(&tx, &inbound_dedupe::DELETE_OF_SOURCE, &[&id]).await?;
    found(exec(&tx, &source::DELETE, &[&id, &org_id]).await?)?;
    tx.commit().await.map_err(pg)
}

/// Makes `token_hash` the current token; the previous current token stays valid until
/// `old_expires_at`. `Conflict(SourceTokenRotations)` when [`MAX_VALID_OLD_TOKENS`] rotated
/// tokens are still valid at `now`. The source's row is locked first, so two rotations on
/// different nodes cannot both pass the count.
pub(super) async fn rotate_source_token(
    s: &PgStore,
    source_id: &str,
    sealed_token: Vec<u8>,
    token_hash: String,
    old_expires_at: Millis,
    now: Millis,
) -> StoreResult<()> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    if query_opt(&tx, &source::LOCK_BY_ID, &[&source_id])
        .await?
        .is_none()
    {
        return Err(StoreError::NotFound);
    }
    exec(
        &tx,
        &source_token::DELETE_EXPIRED_OF_SOURCE,
        &[&source_id, &now],
    )
    .await?;
    let valid_old: i64 = match query_opt(&tx, &source_token::COUNT_RETIRED, &[&source_id]).await? {
        Some(r) => col(&r, 0)?,
        None => 0,
    };
    if valid_old >= MAX_VALID_OLD_TOKENS as i64 {
        return Err(StoreError::Conflict(ConflictKind::SourceTokenRotations));
    }
    found(exec(&tx, &source::SET_TOKEN, &[&source_id, &sealed_token, &now]).await?)?;
    exec(
        &tx,
        &source_token::RETIRE_CURRENT,
        &[&source_id, &old_expires_at],
    )
    .await?;
    exec(&tx, &source_token::INSERT, &[&token_hash, &source_id]).await?;
    tx.commit().await.map_err(pg)
}

/// The source a token hash belongs to, if the token is current or not yet expired at `now`.
pub(super) async fn source_by_token(
    s: &PgStore,
    token_hash: &str,
    now: Millis,
) -> StoreResult<Option<Source>> {
    let c = s.client().await?;
    let Some(r) = query_opt(&c, &source::BY_TOKEN, &[&token_hash]).await? else {
        return Ok(None);
    };
    let expires_at: Option<i64> = col(&r, SOURCE_NCOLS)?;
    if expires_at.is_some_and(|t| t <= now) {
        return Ok(None);
    }
    source_at(&r, 0).map(Some)
}

/// Drops dedupe rows created before `dedupe_before` and tokens expired at `now`; returns
/// how many rows went.
pub(super) async fn purge_inbound(
    s: &PgStore,
    dedupe_before: Millis,
    now: Millis,
) -> StoreResult<u64> {
    let mut c = s.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let a = exec(&tx, &inbound_dedupe::PURGE, &[&dedupe_before]).await?;
    let b = exec(&tx, &source_token::PURGE, &[&now]).await?;
    tx.commit().await.map_err(pg)?;
    Ok(a + b)
}
