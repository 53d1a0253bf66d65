//! Keyset pagination shared by every list query.
//!
//! Lists are ordered by a unique key (an id, or an event type's name); a page holds the rows
//! strictly after (or, paging backwards, strictly before) the cursor. Because the cursor is a
//! key and not an offset, appending rows never shifts a page: no gap, no repeat.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, Row};

use super::rows::backend;
use crate::{Listed, Order, Page, StoreResult};

/// Most rows one page may hold.
const MAX_LIMIT: usize = 250;

/// A list query under construction: `WHERE` terms and their parameters, then the page.
pub(crate) struct ListQuery {
    sql: String,
    params: Vec<Value>,
}

impl ListQuery {
    /// Starts from `SELECT … FROM … WHERE <first term>`.
    pub(crate) fn new(select_where: &str, first: impl Into<Value>) -> Self {
        Self {
            sql: select_where.to_string(),
            params: vec![first.into()],
        }
    }

    /// Adds ` AND <term>` with the parameters its `?`s stand for.
    pub(crate) fn and(&mut self, term: &str, params: impl IntoIterator<Item = Value>) {
        self.sql.push_str(" AND ");
        self.sql.push_str(term);
        self.params.extend(params);
    }

    /// Adds `AND <column> IN (?, …)`. An empty list adds nothing: like an endpoint's empty
    /// event-type filter (see `sluice_core::filter`), it means "no filter".
    pub(crate) fn and_in(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let marks = vec!["?"; values.len()].join(", ");
        self.and(
            &format!("{column} IN ({marks})"),
            values.iter().map(|v| Value::Text(v.clone())),
        );
    }

    /// Adds `<column> < before` and `<column> > after` for the bounds that are set.
    pub(crate) fn and_time(&mut self, column: &str, before: Option<i64>, after: Option<i64>) {
        if let Some(b) = before {
            self.and(&format!("{column} < ?"), [Value::Integer(b)]);
        }
        if let Some(a) = after {
            self.and(&format!("{column} > ?"), [Value::Integer(a)]);
        }
    }

    /// Appends the cursor, order and limit for `page` on `key`, runs the query and cuts the
    /// page, mapping each row with `map`.
    pub(crate) fn fetch<T>(
        mut self,
        conn: &Connection,
        key: &str,
        page: &Page,
        map: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> StoreResult<Listed<T>> {
        let limit = page.limit.clamp(1, MAX_LIMIT);
        // Paging backwards without a cursor has nothing to be before: it is the first page.
        let backwards = page.backwards && page.iterator.is_some();
        let ascending = (page.order == Order::Ascending) != backwards;
        if let Some(it) = &page.iterator {
            let cmp = if ascending { ">" } else { "<" };
            self.and(&format!("{key} {cmp} ?"), [Value::Text(it.clone())]);
        }
        let dir = if ascending { "ASC" } else { "DESC" };
        self.sql.push_str(&format!(" ORDER BY {key} {dir} LIMIT ?"));
        self.params.push(Value::Integer(limit as i64 + 1));

        let mut stmt = conn.prepare_cached(&self.sql).map_err(backend)?;
        let mut items = stmt
            .query_map(params_from_iter(self.params.iter()), map)
            .map_err(backend)?
            .collect::<Result<Vec<T>, _>>()
            .map_err(backend)?;
        let has_more = items.len() > limit;
        items.truncate(limit);
        if backwards {
            items.reverse();
        }
        Ok(Listed { items, has_more })
    }
}

impl ListQuery {
    /// Runs the query as built (a `SELECT COUNT(*) …` start with its filters) and returns
    /// the count.
    pub(crate) fn count(self, conn: &Connection) -> StoreResult<u64> {
        let mut stmt = conn.prepare_cached(&self.sql).map_err(backend)?;
        let n: i64 = stmt
            .query_row(params_from_iter(self.params.iter()), |r| r.get(0))
            .map_err(backend)?;
        Ok(n.max(0) as u64)
    }
}
