//! Checks of the statements against the schema and of the stored enum values against the
//! migrations, which cannot change retroactively.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection};
use sluice_core::model::{DeliveryStatus, Trigger};

use super::{by_id_or_key, delivery, ALL};
use crate::sql::{Sql, STATUSES, TRIGGERS};
use crate::sqlite::db::{exec_named, named};
use crate::sqlite::rows;

fn migrated() -> Connection {
    let mut c = Connection::open_in_memory().unwrap();
    crate::sqlite::schema::migrate(&mut c).unwrap();
    c
}

fn queries_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sqlite/queries")
}

/// The `.sql` files under `dir`, as paths relative to it.
fn sql_files(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sql_files(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "sql") {
            let rel = path.strip_prefix(base).unwrap();
            out.insert(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// Every file is a registered statement (none is forgotten, which would leave it unchecked
/// here and invite inline copies), and no two statics name the same file.
#[test]
fn every_file_is_a_registered_statement() {
    let mut files = BTreeSet::new();
    let dir = queries_dir();
    sql_files(&dir, &dir, &mut files);
    let registered: BTreeSet<String> = ALL.iter().map(|s| s.path.to_string()).collect();
    assert_eq!(registered.len(), ALL.len(), "a file is registered twice");
    assert_eq!(files, registered);
}

/// Every statement renders and prepares on the migrated schema: its tables and columns
/// exist, and every `INDEXED BY` a partial index is satisfiable, which SQLite checks at
/// prepare time by matching the query's status condition to the index's. So a status value
/// that disagreed with the migration's would fail here.
#[test]
fn every_statement_prepares_on_the_migrated_schema() {
    let c = migrated();
    for sql in ALL {
        sql.check().unwrap();
        assert!(!sql.text().contains('{'), "{}: {}", sql.path, sql.text());
        if let Err(e) = c.prepare(sql.text()) {
            panic!("{} does not prepare: {e}\n{}", sql.path, sql.text());
        }
    }
    for lookup in by_id_or_key::ALL {
        c.prepare(lookup.text()).unwrap();
    }
}

/// The stored integers are frozen: the partial indexes of migration 0001 hold the queue's
/// unfinished rows as `status IN (1,3)`, the migration documents each status's number, and
/// rows already stored hold them. The enums must keep those values.
#[test]
fn enum_values_are_the_migrations() {
    let c = migrated();
    let unfinished = format!(
        "WHERE status IN ({},{})",
        DeliveryStatus::Pending as i64,
        DeliveryStatus::Sending as i64
    );
    let partial: Vec<(String, String)> = c
        .prepare("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'delivery' AND sql LIKE '%WHERE%'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // The queue's two of unfinished rows, 0008's of the sending rows, and the redrive
    // migration's two of the dead letters.
    assert_eq!(partial.len(), 5, "{partial:?}");
    let one = |s: DeliveryStatus| format!("WHERE status = {}", s as i64);
    let conditions = [
        unfinished.clone(),
        one(DeliveryStatus::Sending),
        one(DeliveryStatus::Fail),
    ];
    for (name, sql) in &partial {
        assert!(
            conditions.iter().any(|c| sql.ends_with(c)),
            "{name}: {sql} vs {conditions:?}"
        );
    }
    let documented = include_str!("../migrations/0001_init.sql");
    for s in STATUSES {
        let entry = format!("{} {}", s as i64, s.text());
        assert!(
            documented.contains(&entry),
            "migration 0001 lacks `{entry}`"
        );
    }
    // Svix's MessageAttemptTriggerType, stored in delivery and attempt rows.
    assert_eq!(TRIGGERS.map(|t| t as i64), [0, 1]);
    assert_eq!(Trigger::Scheduled as i64, 0);
    assert_eq!(Trigger::Manual as i64, 1);
}

/// The statements that must use a partial index name its condition literally, from the enum.
#[test]
fn queue_statements_name_the_partial_index_condition() {
    let unfinished = format!(
        "status IN ({},{})",
        DeliveryStatus::Pending as i64,
        DeliveryStatus::Sending as i64
    );
    for sql in [
        &delivery::DUE_WINDOW,
        &delivery::DUE_OF_ENDPOINT,
        &delivery::NEXT_ENDPOINT_HEAD,
        &delivery::UNFINISHED_HEAD,
        &delivery::DELETE_UNFINISHED_OF_ENDPOINT,
    ] {
        assert!(sql.text().contains(&unfinished), "{}", sql.path);
    }
    let sending = format!("status = {}", DeliveryStatus::Sending as i64);
    assert!(delivery::RECORD_OUTCOME.text().contains(&sending));
}

/// Where `text` compares a `status` or `trigger` column with a number literal, as
/// `status = 2` or `status IN (1,3)`.
fn bare_enum_literal(text: &str) -> Option<&str> {
    let lower = text.to_ascii_lowercase();
    for word in ["status", "trigger"] {
        for (at, _) in lower.match_indices(word) {
            let before = lower[..at].chars().next_back();
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == '_') {
                continue;
            }
            let rest = lower[at + word.len()..].trim_start();
            let rest = ["=", "<>", "!=", "in"]
                .iter()
                .find_map(|op| rest.strip_prefix(op))
                .map(|r| r.trim_start().trim_start_matches('(').trim_start());
            if rest.is_some_and(|r| r.starts_with(|ch: char| ch.is_ascii_digit())) {
                return Some(&text[at..(at + 24).min(text.len())]);
            }
        }
    }
    None
}

#[test]
fn the_literal_finder_finds_literals() {
    assert!(bare_enum_literal("WHERE status IN (1,3)").is_some());
    assert!(bare_enum_literal("SET status = 2,").is_some());
    assert!(bare_enum_literal("d.trigger=1").is_some());
    assert!(bare_enum_literal("WHERE status = ?3 AND response_status_code = 0").is_none());
    assert!(bare_enum_literal("status IS NULL AND lease_until = 0").is_none());
}

/// No statement, and no Rust module of this backend, writes a status or trigger as a bare
/// number; they come from the enums (the migrations, frozen, are not checked).
#[test]
fn no_bare_status_or_trigger_numbers() {
    let mut files = BTreeSet::new();
    let dir = queries_dir();
    sql_files(&dir, &dir, &mut files);
    for file in &files {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert_eq!(bare_enum_literal(&text), None, "{file}");
    }
    let backend = dir.parent().unwrap();
    for entry in std::fs::read_dir(backend).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(bare_enum_literal(&text), None, "{}", path.display());
        }
    }
}

/// Each lookup by id or key is two index searches, never a scan of the table.
#[test]
fn lookups_search_indexes() {
    let c = migrated();
    for lookup in by_id_or_key::ALL {
        let plan: Vec<String> = c
            .prepare(&format!("EXPLAIN QUERY PLAN {}", lookup.text()))
            .unwrap()
            .query_map(["scope", "key"], |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let searches = plan.iter().filter(|p| p.starts_with("SEARCH")).count();
        assert_eq!(searches, 2, "{plan:?}");
        assert!(!plan.iter().any(|p| p.starts_with("SCAN")), "{plan:?}");
    }
}

/// An id match wins over another row's key match, whatever the column count.
#[test]
fn lookups_prefer_the_id() {
    let c = migrated();
    let app = |id: &str, uid: Option<&str>| sluice_core::model::Application {
        id: id.into(),
        org_id: "org_1".into(),
        uid: uid.map(Into::into),
        name: id.into(),
        throttle_rate: None,
        metadata: Default::default(),
        created_at: 1,
        updated_at: 1,
    };
    // Inserted key-match first, so that table order cannot be what picks the id match.
    crate::sqlite::apps::create_app(&c, &app("app_b", Some("app_a"))).unwrap();
    crate::sqlite::apps::create_app(&c, &app("app_a", None)).unwrap();
    let find = |k: &str| {
        by_id_or_key::APPLICATION
            .find(&c, "org_1", k, |r| rows::application_at(r, 0))
            .unwrap()
            .map(|a| a.id)
    };
    assert_eq!(find("app_a").as_deref(), Some("app_a"));
    assert_eq!(find("app_b").as_deref(), Some("app_b"));
    assert_eq!(find("nope"), None);
}

fn no_vars(_: &str) -> Option<&'static str> {
    None
}

static TWO_NAMED: Sql = Sql::new(
    "test/two_named.sql",
    "INSERT INTO portal_token (id, org_id, app_id, session_id, created_at, valid_until) \
     VALUES (:id, 'o', 'a', NULL, :at, :at)",
    no_vars,
);

/// Named parameters: entries the statement lacks are skipped, a parameter without a value
/// is refused (no silent NULL).
#[test]
fn named_parameters_must_all_have_values() {
    let c = migrated();
    let full = [
        named(":id", "t1"),
        named(":at", 5_i64),
        named(":extra", 1_i64),
    ];
    assert_eq!(exec_named(&c, &TWO_NAMED, &full).unwrap(), 1);
    let err = exec_named(&c, &TWO_NAMED, &[named(":id", "t2")]).unwrap_err();
    assert!(err.to_string().contains("1 of its 2 parameters"), "{err}");
    let n: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM portal_token WHERE valid_until = ?1",
            params![5],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}

/// The column counts that offset a second model in a joined row match their lists.
#[test]
fn column_counts_match_the_lists() {
    let count = |cols: &str| cols.split(',').count();
    assert_eq!(count(rows::ENDPOINT_COLS), rows::ENDPOINT_NCOLS);
    assert_eq!(count(rows::MESSAGE_COLS), rows::MESSAGE_NCOLS);
    assert_eq!(count(rows::SOURCE_COLS), rows::SOURCE_NCOLS);
}
