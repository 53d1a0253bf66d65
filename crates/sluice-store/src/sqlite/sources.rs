//! Inbound sources, their ingest-URL tokens, and the dedupe-then-insert of inbound messages.

use rusqlite::{params, Connection, OptionalExtension};
use sluice_core::model::{Application, Message, Source};

use super::apps::{self, found};
use super::exact_cache::RowId;
use super::messages;
use super::page::ListQuery;
use super::rows::{backend, source_at, to_json, SOURCE_COLS};
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
    c.prepare_cached(
        "INSERT INTO source (id, org_id, app_id, uid, name, kind, config, token, metadata, \
         created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .map_err(backend)?
    .execute(params![
        src.id,
        src.org_id,
        src.app_id,
        src.uid,
        src.name,
        src.kind,
        src.config,
        src.token,
        to_json(&src.metadata)?,
        src.created_at,
        src.updated_at
    ])
    .map_err(backend)?;
    insert_token(c, token_hash, &src.id)
}

fn insert_token(c: &Connection, hash: &str, source_id: &str) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO source_token (hash, source_id, expires_at) VALUES (?1, ?2, NULL)",
    )
    .map_err(backend)?
    .execute(params![hash, source_id])
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn get_source(
    c: &Connection,
    org_id: &str,
    id_or_uid: &str,
) -> StoreResult<Option<Source>> {
    // Two indexed lookups instead of `id = ? OR uid = ?`; an id match wins.
    let sql = format!(
        "SELECT {SOURCE_COLS}, 0 FROM source s WHERE s.org_id = ?1 AND s.id = ?2 \
         UNION ALL SELECT {SOURCE_COLS}, 1 FROM source s WHERE s.org_id = ?1 AND s.uid = ?2 \
         ORDER BY 12 LIMIT 1"
    );
    c.prepare_cached(&sql)
        .map_err(backend)?
        .query_row(params![org_id, id_or_uid], |r| source_at(r, 0))
        .optional()
        .map_err(backend)
}

pub(crate) fn list_sources(
    c: &Connection,
    org_id: &str,
    page: &Page,
) -> StoreResult<Listed<Source>> {
    let q = ListQuery::new(
        &format!("SELECT {SOURCE_COLS} FROM source s WHERE s.org_id = ?"),
        org_id.to_string(),
    );
    q.fetch(c, "s.id", page, |r| source_at(r, 0))
}

/// Every source of one type, across organisations (the cron scheduler's view).
pub(crate) fn sources_of_kind(c: &Connection, kind: &str) -> StoreResult<Vec<Source>> {
    c.prepare_cached(&format!(
        "SELECT {SOURCE_COLS} FROM source s WHERE s.kind = ?1 ORDER BY s.id"
    ))
    .map_err(backend)?
    .query_map([kind], |r| source_at(r, 0))
    .map_err(backend)?
    .collect::<Result<_, _>>()
    .map_err(backend)
}

/// Replaces the mutable fields (uid, name, kind, config, metadata); the token is changed
/// only by [`rotate_token`].
pub(crate) fn update_source(c: &Connection, src: &Source) -> StoreResult<()> {
    let n = c
        .prepare_cached(
            "UPDATE source SET uid = ?3, name = ?4, kind = ?5, config = ?6, metadata = ?7, \
             updated_at = ?8 WHERE id = ?1 AND org_id = ?2",
        )
        .map_err(backend)?
        .execute(params![
            src.id,
            src.org_id,
            src.uid,
            src.name,
            src.kind,
            src.config,
            to_json(&src.metadata)?,
            src.updated_at
        ])
        .map_err(backend)?;
    found(n)
}

/// Deletes the source, its tokens, its dedupe rows and its application with everything
/// under it.
pub(crate) fn delete_source(c: &Connection, org_id: &str, src: &Source) -> StoreResult<()> {
    match apps::delete_app(c, org_id, &src.app_id) {
        Ok(()) | Err(StoreError::NotFound) => {}
        Err(e) => return Err(e),
    }
    for sql in [
        "DELETE FROM source_token WHERE source_id = ?1",
        "DELETE FROM inbound_dedupe WHERE source_id = ?1",
    ] {
        c.execute(sql, [&src.id]).map_err(backend)?;
    }
    let n = c
        .execute(
            "DELETE FROM source WHERE id = ?1 AND org_id = ?2",
            params![src.id, org_id],
        )
        .map_err(backend)?;
    found(n)
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
    c.execute(
        "DELETE FROM source_token WHERE source_id = ?1 AND expires_at <= ?2",
        params![source_id, now],
    )
    .map_err(backend)?;
    let valid_old: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM source_token WHERE source_id = ?1 AND expires_at IS NOT NULL",
            [source_id],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if valid_old >= max_valid_old as i64 {
        return Err(StoreError::Conflict(ConflictKind::SourceTokenRotations));
    }
    let n = c
        .execute(
            "UPDATE source SET token = ?2, updated_at = ?3 WHERE id = ?1",
            params![source_id, sealed_token, now],
        )
        .map_err(backend)?;
    found(n)?;
    c.execute(
        "UPDATE source_token SET expires_at = ?2 WHERE source_id = ?1 AND expires_at IS NULL",
        params![source_id, old_expires_at],
    )
    .map_err(backend)?;
    insert_token(c, hash, source_id)
}

/// The source a token hash belongs to, with the token's expiry (checked by the caller, so a
/// cached entry is checked against the current time too).
pub(crate) fn source_by_token(c: &Connection, hash: &str) -> StoreResult<Option<TokenEntry>> {
    c.prepare_cached(&format!(
        "SELECT {SOURCE_COLS}, t.expires_at FROM source_token t \
         JOIN source s ON s.id = t.source_id WHERE t.hash = ?1"
    ))
    .map_err(backend)?
    .query_row([hash], |r| {
        Ok(TokenEntry {
            source: source_at(r, 0)?,
            expires_at: r.get(11)?,
        })
    })
    .optional()
    .map_err(backend)
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
        let inserted = c
            .prepare_cached(
                "INSERT OR IGNORE INTO inbound_dedupe (source_id, event_id, created_at) \
                 VALUES (?1, ?2, ?3)",
            )
            .map_err(backend)?
            .execute(params![source_id, key, now])
            .map_err(backend)?;
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
    let a = c
        .execute(
            "DELETE FROM inbound_dedupe WHERE created_at < ?1",
            [dedupe_before],
        )
        .map_err(backend)?;
    let b = c
        .execute(
            "DELETE FROM source_token WHERE expires_at IS NOT NULL AND expires_at <= ?1",
            [now],
        )
        .map_err(backend)?;
    Ok((a + b) as u64)
}
