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

/// Wakes every other node's dispatcher when the surrounding transaction commits; the
/// listener of `node` (this node) ignores it, and the caller wakes its own dispatcher right
/// after the commit instead, so that the wake-up has landed when the write returns, as
/// with SQLite, rather than some time later.
pub(crate) async fn notify_from<C: GenericClient>(
    c: &C,
    channel: &str,
    node: &str,
) -> StoreResult<()> {
    let stmt = c
        .prepare_cached("SELECT pg_notify($1, $2)")
        .await
        .map_err(pg)?;
    c.execute(&stmt, &[&channel, &node]).await.map_err(pg)?;
    Ok(())
}

/// Wakes every node's dispatcher when the surrounding transaction commits (`NOTIFY` is
/// transactional: a rolled-back transaction notifies nobody).
pub(crate) async fn notify<C: GenericClient>(c: &C, channel: &str) -> StoreResult<()> {
    let stmt = c
        .prepare_cached("SELECT pg_notify($1, '')")
        .await
        .map_err(pg)?;
    c.execute(&stmt, &[&channel]).await.map_err(pg)?;
    Ok(())
}
