//! Cluster-wide jobs: a node runs a periodic job (a maintenance pass) only while it holds
//! the job's lease row, so the job runs once per period whatever the number of nodes.

use sluice_core::Millis;

use super::db::query_opt;
use super::queries::job_lease;
use super::PgStore;
use crate::StoreResult;

/// Takes (or keeps) the lease of `job` for `holder` until `now + ttl_ms`; false if another
/// holder's lease is still running.
pub(super) async fn try_lead(
    s: &PgStore,
    job: &str,
    holder: &str,
    now: Millis,
    ttl_ms: Millis,
) -> StoreResult<bool> {
    let c = s.client().await?;
    let until = now.saturating_add(ttl_ms);
    let row = query_opt(&c, &job_lease::TAKE, &[&job, &holder, &now, &until]).await?;
    Ok(row.is_some())
}
