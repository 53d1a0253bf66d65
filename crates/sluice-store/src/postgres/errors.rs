//! PostgreSQL's errors as [`StoreError`]s, decided by SQLSTATE and by the name of the
//! constraint that broke, never by message text.
//!
//! - A unique violation (23505) is the [`ConflictKind`] of its constraint ([`RULES`]; a test
//!   checks the list against every unique index of the migrated schema). A violation of an
//!   index not listed is a bug, hence `Backend`.
//! - A lost or refused connection, a server shutting down or starting up, too many
//!   connections, a full disk, a serialization failure or deadlock, a cancelled statement,
//!   and a pool that cannot hand out a connection in time are `Unavailable`: the same
//!   request may succeed a moment later (the API answers 503 with `Retry-After`).
//! - Everything else (a bad statement, a type mismatch) is `Backend`.

use tokio_postgres::error::SqlState;

use crate::{BoxError, ConflictKind, StoreError};

/// One uniqueness rule of the schema: the index that enforces it, and what the caller is told.
pub(crate) struct Rule {
    pub(crate) index: &'static str,
    pub(crate) kind: ConflictKind,
}

const fn rule(index: &'static str, kind: ConflictKind) -> Rule {
    Rule { index, kind }
}

/// The uniqueness rules callers can break, by index name. Indexes of rows only the store
/// writes (deliveries, attempts, tags, dedupe and idempotency rows, job leases) are left
/// out on purpose: the store never lets those collide (it uses `ON CONFLICT` where a
/// collision is expected), so a violation there is a `Backend` error.
pub(crate) const RULES: &[Rule] = &[
    rule("application_pkey", ConflictKind::Id),
    rule("application_org_uid", ConflictKind::AppUid),
    rule("event_type_pkey", ConflictKind::EventTypeName),
    rule("endpoint_pkey", ConflictKind::Id),
    rule("endpoint_app_uid", ConflictKind::EndpointUid),
    rule("message_pkey", ConflictKind::Id),
    rule("message_app_event_id", ConflictKind::MessageEventId),
    rule("source_pkey", ConflictKind::Id),
    rule("source_org_uid", ConflictKind::SourceUid),
    rule("source_token_pkey", ConflictKind::SourceToken),
    rule("portal_token_pkey", ConflictKind::Id),
    rule("integration_pkey", ConflictKind::Id),
    rule("background_task_pkey", ConflictKind::Id),
    rule("integration_key_hash", ConflictKind::IntegrationKey),
];

/// Unique indexes deliberately not in [`RULES`] (see there). Read only by the test that
/// checks both lists against the schema.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const INTERNAL_UNIQUE: &[&str] = &[
    "delivery_pkey",
    "delivery_msg_endpoint",
    "attempt_pkey",
    "message_tag_pkey",
    "idempotency_pkey",
    "inbound_dedupe_pkey",
    "job_lease_pkey",
    "sluice_schema_pkey",
    "endpoint_state_pkey",
];

/// The conflict kind of a unique index, if callers can break it.
pub(crate) fn conflict_of(index: &str) -> Option<ConflictKind> {
    RULES.iter().find(|r| r.index == index).map(|r| r.kind)
}

/// SQLSTATEs after which the same request may succeed later.
fn is_transient(code: &SqlState) -> bool {
    let c = code.code();
    // 08: connection exception; 53: insufficient resources (disk full, out of memory, too
    // many connections); 57P0x: admin/crash shutdown, cannot connect now; 40001/40P01:
    // serialization failure, deadlock; 55P03: lock not available; 57014: query cancelled
    // (statement timeout).
    c.starts_with("08")
        || c.starts_with("53")
        || c.starts_with("57P0")
        || matches!(c, "40001" | "40P01" | "55P03" | "57014")
}

/// A driver error as a [`StoreError`].
pub(crate) fn pg(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        if *db.code() == SqlState::UNIQUE_VIOLATION {
            if let Some(kind) = db.constraint().and_then(conflict_of) {
                return StoreError::Conflict(kind);
            }
            return StoreError::Backend(Box::new(e));
        }
        if is_transient(db.code()) {
            return StoreError::Unavailable(Box::new(e));
        }
        return StoreError::Backend(Box::new(e));
    }
    // No server error: the connection closed or its I/O failed (an outage), or a value did
    // not convert, the statement was malformed, authentication failed (bugs or
    // misconfiguration, which waiting does not fix).
    let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
    if e.is_closed() || io {
        StoreError::Unavailable(Box::new(e))
    } else {
        StoreError::Backend(Box::new(e))
    }
}

/// A pool that could not hand out a connection: the database is down or every connection
/// is busy; either way, later may work.
pub(crate) fn pool(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg(e),
        other => StoreError::Unavailable(Box::new(other)),
    }
}

/// Any other error as `Backend` (a JSON column that does not parse, say).
pub(crate) fn backend(e: impl Into<BoxError>) -> StoreError {
    StoreError::Backend(e.into())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{INTERNAL_UNIQUE, RULES};
    use crate::postgres::test_schema::TestSchema;
    use crate::postgres::PgStore;

    /// Every unique index of the migrated schema (primary keys included) is either a rule
    /// callers can break or one of the store's own, and neither list names an index the
    /// schema does not have: a unique index added without a rule would turn a caller's
    /// conflict into a `Backend` error (a 500).
    #[tokio::test]
    async fn rules_match_the_schema() {
        let schema = TestSchema::create()
            .await
            .expect("the PostgreSQL test database answers (run scripts/ensure-postgres)");
        PgStore::migrate(schema.url()).await.expect("migrate");
        let config: tokio_postgres::Config = schema.url().parse().expect("url");
        let (client, conn) = config
            .connect(tokio_postgres::NoTls)
            .await
            .expect("connect");
        let driver = tokio::spawn(conn);
        let rows = client
            .query(
                "SELECT i.indexname FROM pg_indexes i \
                 JOIN pg_class c ON c.relname = i.indexname \
                 JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = i.schemaname \
                 JOIN pg_index x ON x.indexrelid = c.oid \
                 WHERE i.schemaname = $1 AND x.indisunique",
                &[&schema.name()],
            )
            .await
            .expect("list unique indexes");
        drop(client);
        let _ = driver.await;

        let in_schema: BTreeSet<String> = rows.iter().map(|r| r.get(0)).collect();
        let listed: Vec<&str> = RULES
            .iter()
            .map(|r| r.index)
            .chain(INTERNAL_UNIQUE.iter().copied())
            .collect();
        let listed_set: BTreeSet<String> = listed.iter().map(|s| s.to_string()).collect();
        assert_eq!(listed.len(), listed_set.len(), "an index is listed twice");
        assert_eq!(
            in_schema, listed_set,
            "RULES ∪ INTERNAL_UNIQUE must be exactly the schema's unique indexes"
        );
    }
}
