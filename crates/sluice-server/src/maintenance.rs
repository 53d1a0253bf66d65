//! Periodic housekeeping, run by every node under a cluster-wide job lease so that one node
//! at a time does it: purges of what has outlived its use (idempotency responses, inbound
//! dedupe rows, rotated source tokens, ended app-portal tokens and background tasks) and the
//! retention pass (expired payloads, and pruning when `prune_after_days` is set).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// How long idempotency responses are kept (Svix keeps them 12 h; a day is kinder to
/// clients retrying across a long outage).
const IDEMPOTENCY_TTL_MS: i64 = 24 * 3_600_000;

/// How often a node looks at housekeeping.
const MAINTENANCE_EVERY: Duration = Duration::from_secs(600);

/// How long ended background tasks stay listed (Svix lists the past 90 days).
const TASK_HISTORY_MS: i64 = 90 * 24 * 3_600_000;

/// Periodic housekeeping: expire idempotency responses, inbound dedupe rows older than the
/// window, rotated source tokens past their grace period, ended app-portal tokens, and
/// background tasks that ended more than 90 days ago; expunge expired payloads and, with
/// `prune_after_days`, prune old rows. On a
/// cluster, only the node holding the `maintenance` job lease runs a pass; it renews the
/// lease each tick, and another node takes over within one lease after it dies.
pub async fn run(state: AppState, shutdown: CancellationToken) {
    let store = &state.store;
    let node = sluice_core::ids::new_id("node", state.clock.now());
    let lease_ms = i64::try_from(MAINTENANCE_EVERY.as_millis()).unwrap_or(i64::MAX) * 3 / 2;
    let window_ms = i64::try_from(state.config.inbound_dedupe_window_secs)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000);
    let mut tick = tokio::time::interval(MAINTENANCE_EVERY);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {
                let now = state.clock.now();
                match store.try_lead("maintenance", &node, now, lease_ms).await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "taking the maintenance lease failed");
                        continue;
                    }
                }
                if let Err(e) = store.idempotency_purge(now - IDEMPOTENCY_TTL_MS).await {
                    tracing::warn!(error = %e, "purging idempotency keys failed");
                }
                if let Err(e) = store.purge_inbound(now.saturating_sub(window_ms), now).await {
                    tracing::warn!(error = %e, "purging inbound dedupe rows failed");
                }
                if let Err(e) = store.purge_portal_tokens(now).await {
                    tracing::warn!(error = %e, "purging ended app-portal tokens failed");
                }
                match store.purge_tasks(now.saturating_sub(TASK_HISTORY_MS)).await {
                    Ok(n) => metrics::counter!("sluice_pruned_rows_total", "table" => "background_task").increment(n),
                    Err(e) => tracing::warn!(error = %e, "purging ended background tasks failed"),
                }
                retention_pass(&state, now).await;
            }
        }
    }
}

/// The retention part of a maintenance pass: expired payloads, then pruning if configured.
async fn retention_pass(state: &AppState, now: i64) {
    let batch = state.config.retention_batch_size;
    match crate::retention::expire_payloads(&*state.store, now, batch).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(payloads = n, "expired payloads expunged"),
        Err(e) => tracing::warn!(error = %e, "expiring payloads failed"),
    }
    let Some(days) = state.config.prune_after_days else {
        return;
    };
    let before = now.saturating_sub(i64::from(days) * crate::config::DAY_MS);
    match crate::retention::prune(&*state.store, before, batch, |_| {}).await {
        Ok(p) if p == crate::retention::Pruned::default() => {}
        Ok(p) => tracing::info!(
            attempts = p.attempts,
            messages = p.messages,
            deliveries = p.deliveries,
            "old rows pruned"
        ),
        Err(e) => tracing::warn!(error = %e, "pruning old rows failed"),
    }
}
