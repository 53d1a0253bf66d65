//! Running the statements of [`super::queries`]: every one goes through the connection's
//! statement cache (prepared once per connection, keyed by its text) and every error through
//! [`backend`]. Also the lookup of a row by id or by a second unique key, one shape for every
//! table that has one.

use std::sync::OnceLock;

use rusqlite::types::ToSql;
use rusqlite::{CachedStatement, Connection, OptionalExtension, Params, Row};

use super::rows::backend;
use crate::sql::Sql;
use crate::{StoreError, StoreResult};

/// The cached prepared statement of `sql`, for callers that run it more than once.
pub(crate) fn prepare<'c>(c: &'c Connection, sql: &Sql) -> StoreResult<CachedStatement<'c>> {
    c.prepare_cached(sql.text()).map_err(backend)
}

/// Executes `sql`; returns the number of rows changed.
pub(crate) fn exec(c: &Connection, sql: &Sql, p: impl Params) -> StoreResult<usize> {
    prepare(c, sql)?.execute(p).map_err(backend)
}

/// Runs `sql`; returns its first row mapped by `map`, if there is one.
pub(crate) fn query_opt<T>(
    c: &Connection,
    sql: &Sql,
    p: impl Params,
    map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Option<T>> {
    prepare(c, sql)?
        .query_row(p, map)
        .optional()
        .map_err(backend)
}

/// Runs `sql`; returns every row mapped by `map`.
pub(crate) fn query_all<T>(
    c: &Connection,
    sql: &Sql,
    p: impl Params,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    prepare(c, sql)?
        .query_map(p, map)
        .map_err(backend)?
        .collect::<Result<_, _>>()
        .map_err(backend)
}

/// A named parameter (`:uid`) and its value.
pub(crate) type Named<'a> = (&'static str, Box<dyn ToSql + 'a>);

/// A named parameter for [`exec_named`].
pub(crate) fn named<'a>(name: &'static str, value: impl ToSql + 'a) -> Named<'a> {
    (name, Box::new(value))
}

/// Executes `sql` with the parameters it names taken from `params`, the fields of one row.
/// The INSERT and the UPDATE of a table share one list (built beside the table's row mapper
/// in [`super::rows`]), so adding a column cannot update one and forget the other. Entries
/// the statement does not name are skipped (an UPDATE leaves `created_at` alone); a
/// parameter of the statement that no entry fills is an error, not a silent NULL.
pub(crate) fn exec_named(c: &Connection, sql: &Sql, params: &[Named<'_>]) -> StoreResult<usize> {
    let mut stmt = prepare(c, sql)?;
    let mut bound = 0;
    for (name, value) in params {
        if let Some(i) = stmt.parameter_index(name).map_err(backend)? {
            stmt.raw_bind_parameter(i, value).map_err(backend)?;
            bound += 1;
        }
    }
    if bound != stmt.parameter_count() {
        return Err(StoreError::backend(format!(
            "{}: {bound} of its {} parameters have a value",
            sql.path,
            stmt.parameter_count()
        )));
    }
    stmt.raw_execute().map_err(backend)
}

/// The lookup of a row by id or by a second unique key within a scope (an application by id
/// or uid within its organisation, a message by id or event id within its application):
/// two indexed lookups instead of `id = ?2 OR key = ?2`, and an id match wins over a key
/// match, ordered by a named column rather than by position.
pub(crate) struct ByIdOrKey {
    table: &'static str,
    alias: &'static str,
    cols: &'static str,
    scope: &'static str,
    key: &'static str,
    text: OnceLock<String>,
}

impl ByIdOrKey {
    /// The lookup in `table` (alias `alias`, read as `cols`), scoped by column `scope`, by
    /// `id` or by column `key`.
    pub(crate) const fn new(
        table: &'static str,
        alias: &'static str,
        cols: &'static str,
        scope: &'static str,
        key: &'static str,
    ) -> Self {
        Self {
            table,
            alias,
            cols,
            scope,
            key,
            text: OnceLock::new(),
        }
    }

    /// The statement; its parameters are the scope value (`?1`) and the id or key (`?2`).
    pub(crate) fn text(&self) -> &str {
        self.text.get_or_init(|| {
            let Self {
                table,
                alias: a,
                cols,
                scope,
                key,
                ..
            } = self;
            format!(
                "SELECT {cols}, 0 AS by_key FROM {table} {a} WHERE {a}.{scope} = ?1 AND {a}.id = ?2 \
                 UNION ALL \
                 SELECT {cols}, 1 AS by_key FROM {table} {a} WHERE {a}.{scope} = ?1 AND {a}.{key} = ?2 \
                 ORDER BY by_key LIMIT 1"
            )
        })
    }

    /// The row of `scope` whose id, or else whose key, is `id_or_key`, mapped by `map`
    /// (which reads the row's columns from 0; the trailing `by_key` column is ignored).
    pub(crate) fn find<T>(
        &self,
        c: &Connection,
        scope: &str,
        id_or_key: &str,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> StoreResult<Option<T>> {
        c.prepare_cached(self.text())
            .map_err(backend)?
            .query_row([scope, id_or_key], map)
            .optional()
            .map_err(backend)
    }
}
