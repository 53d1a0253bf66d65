//! Small helpers every module of the backend uses to run its statements.

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::errors::pg;
use crate::sql::Sql;
use crate::StoreResult;

/// Parameters of a statement.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Runs `sql` (prepared once per connection); returns the rows it changed.
pub(crate) async fn exec<C: GenericClient>(
    c: &C,
    sql: &Sql,
    params: Params<'_>,
) -> StoreResult<u64> {
    let stmt = c.prepare_cached(sql.text()).await.map_err(pg)?;
    c.execute(&stmt, params).await.map_err(pg)
}

/// Runs `sql` and returns every row.
pub(crate) async fn query<C: GenericClient>(
    c: &C,
    sql: &Sql,
    params: Params<'_>,
) -> StoreResult<Vec<Row>> {
    let stmt = c.prepare_cached(sql.text()).await.map_err(pg)?;
    c.query(&stmt, params).await.map_err(pg)
}

/// Runs `sql` and returns its row, if any (more than one is a bug: `Backend`).
pub(crate) async fn query_opt<C: GenericClient>(
    c: &C,
    sql: &Sql,
    params: Params<'_>,
) -> StoreResult<Option<Row>> {
    let stmt = c.prepare_cached(sql.text()).await.map_err(pg)?;
    c.query_opt(&stmt, params).await.map_err(pg)
}
