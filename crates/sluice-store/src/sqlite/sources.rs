//! Inbound sources, their ingest-URL tokens, and the dedupe-then-insert of inbound messages.

use rusqlite::{params, Connection};
use sluice_core::model::{Application, Message, Source};

use super::apps::{self, found};
use super::db::{exec, exec_named, prepare, query_all, query_opt};
use super::exact_cache::RowId;
use super::messages;
use super::page::ListQuery;
use super::queries::{by_id_or_key, inbound_dedupe, source, source_token};
use super::rows::{backend, source_at, source_params, SOURCE_NCOLS};
use crate::{ConflictKind, InboundAccepted, Listed, Page, StoreError, StoreResult};

/// A source found by a token, with that token's expiry (`None` = the current token).
#[derive(Debug, Clone)]
pub(crate) struct TokenEntry {
    pub(crate) source: Source,
    pub(crate) expires_at: Option<i64>,
}

impl RowId for TokenEntry {
    fn row_id(&self) -> &str {
        &self.source.id
    }
}

/// Inserts the source's application, the source and its current token: all or nothing.
pub(crate) fn create_source(
    c: &Connection,
    app: &Application,
    src: &Source,
    token_hash: &str,
) -> StoreResult<()> {
    apps::create_app(c, app)?;
    exec_named(c, &source::INSERT, &source_params(src)?)?;
    insert_token(c, token_hash, &src.id)
}

fn insert_token(c: &Connection, hash: &str, source_id: &str) -> StoreResult<()> {
    exec(c, &source_token::INSERT, params![hash, source_id])?;
    Ok(())
}

pub(crate) fn get_source(
    c: &Connection,
    org_id: &str,
    id_or_uid: &str,
) -> StoreResult<Option<Source>> {
    by_id_or_key::SOURCE.find(c, org_id, id_or_uid, |r| source_at(r, 0))
}

pub(crate) fn list_sources(
    c: &Connection,
    org_id: &str,
    page: &Page,
) -> StoreResult<Listed<Source>> {
    let q = ListQuery::new(source::LIST.text(), org_id.to_string());
    q.fetch(c, "s.id", page, |r| source_at(r, 0))
}

/// Every source of one type, across organisations (the cron scheduler's view).
pub(crate) fn sources_of_kind(c: &Connection, kind: &str) -> StoreResult<Vec<Source>> {
    query_all(c, &source::OF_KIND, [kind], |r| source_at(r, 0))
}

/// Replaces the mutable fields (uid, name, kind, config, metadata); the token is changed
/// only by [`rotate_token`].
pub(crate) fn update_source(c: &Connection, src: &Source) -> StoreResult<()> {
    found(exec_named(c, &source::UPDATE, &source_params(src)?)?)
}

/// Deletes the source, its tokens, its dedupe rows and its application with everything
/// under it.
pub(crate) fn delete_source(c: &Connection, org_id: &str, src: &Source) -> StoreResult<()> {
    match apps::delete_app(c, org_id, &src.app_id) {
        Ok(()) | Err(StoreError::NotFound) => {}
        Err(e) => return Err(e),
    }
    exec(c, &source_token::DELETE_OF_SOURCE, [&src.id])?;
    exec(c, &inbound_dedupe::DELETE_OF_SOURCE, [&src.id])?;
    found(exec(c, &source::DELETE, params![src.id, org_id])?)
}

/// Makes `hash` the current token; the previous current token stays valid until
/// `old_expires_at`. `Conflict(SourceTokenRotations)` when `max_valid_old` rotated tokens are
/// still valid at `now`.
pub(crate) fn rotate_token(
    c: &Connection,
    source_id: &str,
    sealed_token: &[u8],
    hash: &str,
    old_expires_at: i64,
    now: i64,
    max_valid_old: usize,
) -> StoreResult<()> {
    exec(
        c,
        &source_token::DELETE_EXPIRED_OF_SOURCE,
        params![source_id, now],
    )?;
    let valid_old: i64 = prepare(c, &source_token::COUNT_RETIRED)?
        .query_row([source_id], |r| r.get(0))
        .map_err(backend)?;
    if valid_old >= max_valid_old as i64 {
        return Err(StoreError::Conflict(ConflictKind::SourceTokenRotations));
    }
    found(exec(
        c,
        &source::SET_TOKEN,
        params![source_id, sealed_token, now],
    )?)?;
    exec(
        c,
        &source_token::RETIRE_CURRENT,
        params![source_id, old_expires_at],
    )?;
    insert_token(c, hash, source_id)
}

/// The source a token hash belongs to, with the token's expiry (checked by the caller, so a
/// cached entry is checked against the current time too).
pub(crate) fn source_by_token(c: &Connection, hash: &str) -> StoreResult<Option<TokenEntry>> {
    query_opt(c, &source::BY_TOKEN, [hash], |r| {
        Ok(TokenEntry {
            source: source_at(r, 0)?,
            expires_at: r.get(SOURCE_NCOLS)?,
        })
    })
}

/// Dedupes on `(source_id, dedupe_key)` and, for a first sighting, inserts the message
/// with its deliveries, all in one writer job. Without a key a message is a duplicate only
/// if its event id is taken. A message whose event id outlived its dedupe row is still a
/// duplicate while the original message exists (the app's event ids are unique); a
/// content-derived key, which is not an event id, is bounded by the window alone.
pub(crate) fn create_inbound_message(
    c: &Connection,
    source_id: &str,
    msg: &Message,
    dedupe_key: Option<&str>,
    now: i64,
) -> StoreResult<InboundAccepted> {
    if let Some(key) = dedupe_key {
        let inserted = exec(c, &inbound_dedupe::INSERT, params![source_id, key, now])?;
        if inserted == 0 {
            return Ok(InboundAccepted::Duplicate);
        }
    }
    match messages::create_message(c, msg, None, now) {
        Ok(deliveries) => Ok(InboundAccepted::Created { deliveries }),
        Err(StoreError::Conflict(ConflictKind::MessageEventId)) => Ok(InboundAccepted::Duplicate),
        Err(e) => Err(e),
    }
}

/// Drops dedupe rows created before `dedupe_before` and tokens expired at `now`; returns
/// how many rows went.
pub(crate) fn purge(c: &Connection, dedupe_before: i64, now: i64) -> StoreResult<u64> {
    let a = exec(c, &inbound_dedupe::PURGE, [dedupe_before])?;
    let b = exec(c, &source_token::PURGE, [now])?;
    Ok((a + b) as u64)
}
