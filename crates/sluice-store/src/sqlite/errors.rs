//! SQLite's errors as [`StoreError`]s, decided by SQLite's result codes and by which
//! uniqueness rule broke, so that no caller ever reads a message to tell cases apart.
//!
//! - A UNIQUE or PRIMARY KEY violation is the [`ConflictKind`] of the index it broke
//!   ([`RULES`]). SQLite names an index over columns by its columns
//!   (`UNIQUE constraint failed: application.org_id, application.uid`), so each rule is
//!   listed with that signature; a test checks the list against every unique index of the
//!   migrated schema. A violation of an index not listed is a bug, hence `Backend`.
//! - Lock waits that outlasted the busy timeout (`SQLITE_BUSY`, `SQLITE_LOCKED`), I/O
//!   errors, a full disk, a file that cannot be opened or written are `Unavailable`: the
//!   database may serve the same request a moment later, and SQLite has rolled back.
//! - Everything else (a malformed file, a bad statement, a type mismatch) is `Backend`.

use rusqlite::ErrorCode;

use crate::{BoxError, ConflictKind, StoreError};

/// One uniqueness rule of the schema.
pub(crate) struct Rule {
    /// The index that enforces it (`sqlite_autoindex_<table>_1` for a primary key).
    pub(crate) index: &'static str,
    /// How SQLite names it in a violation: `table.column, table.column`.
    pub(crate) columns: &'static str,
    /// What the caller is told.
    pub(crate) kind: ConflictKind,
}

const fn rule(index: &'static str, columns: &'static str, kind: ConflictKind) -> Rule {
    Rule {
        index,
        columns,
        kind,
    }
}

/// The uniqueness rules callers can break, by index. Indexes of rows only the store
/// writes (deliveries, attempts, dedupe and idempotency rows) are left out on purpose:
/// the store never lets those collide, so a violation there is a `Backend` error.
pub(crate) const RULES: &[Rule] = &[
    rule(
        "application_org_uid",
        "application.org_id, application.uid",
        ConflictKind::AppUid,
    ),
    rule(
        "sqlite_autoindex_application_1",
        "application.id",
        ConflictKind::Id,
    ),
    rule(
        "sqlite_autoindex_event_type_1",
        "event_type.org_id, event_type.name",
        ConflictKind::EventTypeName,
    ),
    rule(
        "endpoint_app_uid",
        "endpoint.app_id, endpoint.uid",
        ConflictKind::EndpointUid,
    ),
    rule(
        "sqlite_autoindex_endpoint_1",
        "endpoint.id",
        ConflictKind::Id,
    ),
    rule(
        "message_app_event_id",
        "message.app_id, message.event_id",
        ConflictKind::MessageEventId,
    ),
    rule("sqlite_autoindex_message_1", "message.id", ConflictKind::Id),
    rule(
        "sqlite_autoindex_background_task_1",
        "background_task.id",
        ConflictKind::Id,
    ),
    rule(
        "source_org_uid",
        "source.org_id, source.uid",
        ConflictKind::SourceUid,
    ),
    rule("sqlite_autoindex_source_1", "source.id", ConflictKind::Id),
    rule(
        "sqlite_autoindex_source_token_1",
        "source_token.hash",
        ConflictKind::SourceToken,
    ),
    rule(
        "sqlite_autoindex_portal_token_1",
        "portal_token.id",
        ConflictKind::Id,
    ),
    rule(
        "sqlite_autoindex_message_tag_1",
        "message_tag.app_id, message_tag.tag, message_tag.msg_id",
        ConflictKind::Id,
    ),
    rule(
        "sqlite_autoindex_integration_1",
        "integration.id",
        ConflictKind::Id,
    ),
    rule(
        "integration_key_hash",
        "integration.key_hash",
        ConflictKind::IntegrationKey,
    ),
];

/// A failure as a [`StoreError`]: classified when it is SQLite's, `Backend` otherwise
/// (serialisation, I/O outside SQLite, a message). The cause is kept as the source.
pub(crate) fn backend(e: impl Into<BoxError>) -> StoreError {
    match e.into().downcast::<rusqlite::Error>() {
        Ok(sqlite) => from_sqlite(*sqlite),
        Err(other) => StoreError::Backend(other),
    }
}

/// Classifies one SQLite error.
pub(crate) fn from_sqlite(e: rusqlite::Error) -> StoreError {
    let Some(code) = e.sqlite_error_code() else {
        return StoreError::Backend(Box::new(e));
    };
    if code == ErrorCode::ConstraintViolation {
        return match broken_rule(&e) {
            Some(kind) => StoreError::Conflict(kind),
            None => StoreError::Backend(Box::new(e)),
        };
    }
    if is_transient(code) {
        StoreError::Unavailable(Box::new(e))
    } else {
        StoreError::Backend(Box::new(e))
    }
}

/// Whether an error with this code means "not now" rather than "not this".
pub(crate) fn is_transient(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen
            | ErrorCode::ReadOnly
            | ErrorCode::FileLockingProtocolFailed
            | ErrorCode::OutOfMemory
    )
}

/// The rule a UNIQUE or PRIMARY KEY violation broke, if it is one of [`RULES`].
fn broken_rule(e: &rusqlite::Error) -> Option<ConflictKind> {
    let rusqlite::Error::SqliteFailure(f, Some(msg)) = e else {
        return None;
    };
    if f.extended_code != rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
        && f.extended_code != rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    {
        return None;
    }
    let named = msg.strip_prefix("UNIQUE constraint failed: ")?;
    // An index on expressions is named by its name: `index 'name'`.
    let index = named
        .strip_prefix("index '")
        .and_then(|n| n.strip_suffix('\''));
    RULES
        .iter()
        .find(|r| index.map_or(r.columns == named, |i| r.index == i))
        .map(|r| r.kind)
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn migrated() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut c).unwrap();
        c
    }

    /// Every unique index of the schema is either a listed rule, under its real name and
    /// column signature, or an index of rows only the store writes.
    #[test]
    fn rules_match_the_schema() {
        const STORE_ONLY: &[&str] = &[
            "sqlite_autoindex_delivery_1",
            "delivery_msg_endpoint",
            "sqlite_autoindex_attempt_1",
            "sqlite_autoindex_idempotency_1",
            "sqlite_autoindex_inbound_dedupe_1",
            "sqlite_autoindex_endpoint_state_1",
        ];
        let c = migrated();
        let tables: Vec<String> = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut seen = Vec::new();
        for table in &tables {
            let indexes: Vec<(String, bool)> = c
                .prepare(&format!("PRAGMA index_list({table})"))
                .unwrap()
                .query_map([], |r| Ok((r.get(1)?, r.get(2)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            for (index, unique) in indexes.into_iter().filter(|(_, u)| *u) {
                assert!(unique);
                let columns: Vec<String> = c
                    .prepare(&format!("PRAGMA index_info({index})"))
                    .unwrap()
                    .query_map([], |r| r.get::<_, String>(2))
                    .unwrap()
                    .map(|col| format!("{table}.{}", col.unwrap()))
                    .collect();
                let signature = columns.join(", ");
                match RULES.iter().find(|r| r.index == index) {
                    Some(r) => assert_eq!(r.columns, signature, "{index}"),
                    None => assert!(
                        STORE_ONLY.contains(&index.as_str()),
                        "unique index {index} ({signature}) has no ConflictKind"
                    ),
                }
                seen.push(index);
            }
        }
        for r in RULES {
            assert!(
                seen.iter().any(|i| i == r.index),
                "{} not in schema",
                r.index
            );
        }
    }

    /// Real violations, raised by SQLite, become the kind of the index they broke.
    #[test]
    fn violations_map_to_their_rule() {
        let c = migrated();
        let app = "INSERT INTO application (id, org_id, uid, name, metadata, created_at, \
                   updated_at) VALUES (?1, 'org', ?2, 'n', '{}', 0, 0)";
        c.execute(app, ["app_1", "acme"]).unwrap();
        let err = |r: rusqlite::Result<usize>| from_sqlite(r.unwrap_err());
        assert!(matches!(
            err(c.execute(app, ["app_2", "acme"])),
            StoreError::Conflict(ConflictKind::AppUid)
        ));
        assert!(matches!(
            err(c.execute(app, ["app_1", "other"])),
            StoreError::Conflict(ConflictKind::Id)
        ));
        // NOT NULL is a constraint too, but no uniqueness rule: a bug, not a conflict.
        let null_name = c.execute(
            "INSERT INTO application (id, org_id, name, metadata, created_at, updated_at) \
             VALUES ('app_3', 'org', NULL, '{}', 0, 0)",
            [],
        );
        assert!(matches!(err(null_name), StoreError::Backend(_)));
    }

    #[test]
    fn lock_timeouts_are_unavailable_and_keep_their_cause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("busy.db");
        let holder = Connection::open(&path).unwrap();
        holder
            .execute_batch("CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);")
            .unwrap();
        let other = Connection::open(&path).unwrap();
        other
            .busy_timeout(std::time::Duration::from_millis(1))
            .unwrap();
        let e = backend(other.execute("INSERT INTO t VALUES (2)", []).unwrap_err());
        assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
        let cause = std::error::Error::source(&e).expect("the cause is kept");
        assert!(cause.downcast_ref::<rusqlite::Error>().is_some());
        // Not SQLite's: plain Backend, cause kept.
        let e = backend(std::io::Error::other("boom"));
        assert!(matches!(e, StoreError::Backend(_)));
        assert_eq!(std::error::Error::source(&e).unwrap().to_string(), "boom");
    }
}
