//! Keyset pagination shared by every list query, as in `sqlite/page.rs`.
//!
//! Lists are ordered by a unique key (an id, or an event type's name); a page holds the rows
//! strictly after (or, paging backwards, strictly before) the cursor. Because the cursor is a
//! key and not an offset, appending rows never shifts a page: no gap, no repeat.
//!
//! A list starts from a `list.sql` statement whose `WHERE` has one term on `$1`; filters are
//! appended here as ` AND …` terms whose parameters are numbered on (`$2`, `$3`, …) by
//! [`ListQuery::param`]. The texts vary only with the set of filters used, so preparing them
//! through the connection's statement cache keeps a bounded number of statements.

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::errors::pg;
use crate::sql::Sql;
use crate::{Listed, Order, Page, StoreResult};

/// Most rows one page may hold.
const MAX_LIMIT: usize = 250;

/// A parameter of a list query.
type Param = Box<dyn ToSql + Sync + Send>;

/// A list query under construction: `WHERE` terms and their parameters, then the page.
pub(crate) struct ListQuery {
    sql: String,
    params: Vec<Param>,
}

impl ListQuery {
    /// Starts from `start` (`SELECT … FROM … WHERE <term on $1>`), `$1` being `first`.
    pub(crate) fn new(start: &Sql, first: impl ToSql + Sync + Send + 'static) -> Self {
        Self {
            sql: start.text().to_string(),
            params: vec![Box::new(first)],
        }
    }

    /// Adds a parameter; returns its placeholder (`$n`) for the term that uses it.
    pub(crate) fn param(&mut self, v: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(v));
        format!("${}", self.params.len())
    }

    /// Adds ` AND <term>`; the term's parameters were added by [`Self::param`].
    pub(crate) fn and(&mut self, term: &str) {
        self.sql.push_str(" AND ");
        self.sql.push_str(term);
    }

    /// Adds `AND <column> = ANY(…)`. An empty list adds nothing: like an endpoint's empty
    /// event-type filter (see `sluice_core::filter`), it means "no filter".
    pub(crate) fn and_in(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let p = self.param(values.to_vec());
        self.and(&format!("{column} = ANY({p})"));
    }

    /// Adds `<column> < before` and `<column> > after` for the bounds that are set.
    pub(crate) fn and_time(&mut self, column: &str, before: Option<i64>, after: Option<i64>) {
        if let Some(b) = before {
            let p = self.param(b);
            self.and(&format!("{column} < {p}"));
        }
        if let Some(a) = after {
            let p = self.param(a);
            self.and(&format!("{column} > {p}"));
        }
    }

    /// Appends the cursor, order and limit for `page` on `key`, runs the query and cuts the
    /// page, mapping each row with `map`.
    pub(crate) async fn fetch<C: GenericClient, T>(
        mut self,
        c: &C,
        key: &str,
        page: &Page,
        map: impl Fn(&Row) -> StoreResult<T>,
    ) -> StoreResult<Listed<T>> {
        let limit = page.limit.clamp(1, MAX_LIMIT);
        // Paging backwards without a cursor has nothing to be before: it is the first page.
        let backwards = page.backwards && page.iterator.is_some();
        let ascending = (page.order == Order::Ascending) != backwards;
        if let Some(it) = &page.iterator {
            let cmp = if ascending { ">" } else { "<" };
            let p = self.param(it.clone());
            self.and(&format!("{key} {cmp} {p}"));
        }
        let dir = if ascending { "ASC" } else { "DESC" };
        let p = self.param(limit as i64 + 1);
        self.sql
            .push_str(&format!(" ORDER BY {key} {dir} LIMIT {p}"));

        let stmt = c.prepare_cached(&self.sql).await.map_err(pg)?;
        let params: Vec<&(dyn ToSql + Sync)> = self
            .params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let rows = c.query(&stmt, &params).await.map_err(pg)?;
        let mut items = rows.iter().map(map).collect::<StoreResult<Vec<T>>>()?;
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
    pub(crate) async fn count<C: GenericClient>(self, c: &C) -> StoreResult<u64> {
        let stmt = c.prepare_cached(&self.sql).await.map_err(pg)?;
        let params: Vec<&(dyn ToSql + Sync)> = self
            .params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let row = c.query_one(&stmt, &params).await.map_err(pg)?;
        let n: i64 = row.try_get(0).map_err(pg)?;
        Ok(n.max(0) as u64)
    }
}
