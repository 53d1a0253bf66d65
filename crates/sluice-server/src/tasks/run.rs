//! The task runner every node runs: claim a runnable task (a lease in the store, so nodes
//! share the work and a dead node's task is taken over when its lease runs out), then run
//! it batch by batch until it is finished, failed, or its lease is lost.

use std::time::Duration;

use serde_json::json;
use sluice_core::Millis;
use sluice_store::{ClaimedTask, TaskAction, TaskStatus, TaskStep};
use tokio_util::sync::CancellationToken;

use super::kinds::{next_step, StepError};
use super::{count_batch, count_status};
use crate::state::AppState;

/// How long a claim, and each batch's renewal, holds a task: a node that dies mid-task
/// frees it this long after its last batch.
pub const LEASE_MS: Millis = 60_000;
/// How often an idle runner looks for tasks created on other nodes (tasks created on this
/// node wake it at once).
const POLL: Duration = Duration::from_secs(5);
/// How long a runner waits after a store failure before it claims again.
const BACKOFF: Duration = Duration::from_secs(1);

/// Runs tasks until `shutdown`. `node` names this runner in the leases it takes.
pub async fn run(state: AppState, node: String, shutdown: CancellationToken) {
    loop {
        // Armed before the claim, so a task created meanwhile is not missed.
        let woken = state.task_wake.signal().notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let idle = match state
            .store
            .claim_task(&node, state.clock.now(), LEASE_MS)
            .await
        {
            Ok(Some(claimed)) => {
                run_claimed(&state, claimed, &shutdown).await;
                None
            }
            Ok(None) => Some(POLL),
            Err(e) => {
                tracing::warn!(error = %e, "claiming a background task failed");
                Some(BACKOFF)
            }
        };
        if let Some(wait) = idle {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = &mut woken => {}
                _ = tokio::time::sleep(wait) => {}
            }
        } else if shutdown.is_cancelled() {
            return;
        }
    }
}

/// Claims and runs, to their end, the tasks runnable at the clock's `now`, one after
/// another, as `holder`; returns how many it ran. What the background runner does, in the
/// caller's time: tests that step the dispatcher step tasks with it.
pub async fn run_due(state: &AppState, holder: &str) -> sluice_store::StoreResult<usize> {
    let never = CancellationToken::new();
    let mut ran = 0;
    while let Some(claimed) = state
        .store
        .claim_task(holder, state.clock.now(), LEASE_MS)
        .await?
    {
        run_claimed(state, claimed, &never).await;
        ran += 1;
    }
    Ok(ran)
}

/// Runs one claimed task batch by batch. Returns when it ended, its lease was lost, the
/// store failed (the lease then runs out and a runner claims it again), or on shutdown
/// (likewise: the next batch is the next holder's).
pub async fn run_claimed(state: &AppState, mut claimed: ClaimedTask, shutdown: &CancellationToken) {
    let kind = claimed.task.kind.clone();
    tracing::info!(task = %claimed.task.id, kind = %kind, "running background task");
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        let step = match next_step(&*state.store, &claimed, state.config.task_batch()).await {
            Ok(step) => step,
            Err(StepError::Store(e)) => {
                tracing::warn!(task = %claimed.task.id, error = %e, "background task batch failed; it will be retried");
                tokio::time::sleep(BACKOFF).await;
                return;
            }
            Err(StepError::Fatal(reason)) => failed_step(&claimed, reason),
        };
        let (cursor, finish) = (step.cursor.clone(), step.finish);
        let requeues = matches!(
            step.action,
            TaskAction::Requeue { .. } | TaskAction::CreateDeliveries { .. }
        );
        match state
            .store
            .advance_task(step, state.clock.now(), LEASE_MS)
            .await
        {
            Ok(Some(n)) => {
                count_batch(&kind, requeues, n);
                if let Some(status) = finish {
                    count_status(&kind, status);
                    tracing::info!(task = %claimed.task.id, kind = %kind, status = status.text(), "background task ended");
                    return;
                }
                claimed.task.cursor = cursor;
            }
            Ok(None) => {
                tracing::info!(task = %claimed.task.id, "background task lease lost; another runner has it");
                return;
            }
            Err(e) => {
                tracing::warn!(task = %claimed.task.id, error = %e, "recording a background task batch failed; it will be retried");
                tokio::time::sleep(BACKOFF).await;
                return;
            }
        }
        // Let the dispatcher and requests in between batches.
        tokio::task::yield_now().await;
    }
}

/// The step that ends a task as failed with `reason`.
fn failed_step(c: &ClaimedTask, reason: String) -> TaskStep {
    tracing::warn!(task = %c.task.id, reason = %reason, "background task failed");
    TaskStep {
        task_id: c.task.id.clone(),
        token: c.token,
        cursor: c.task.cursor.clone(),
        action: TaskAction::None,
        data: Box::new(move |d, _| d["error"] = json!(reason)),
        finish: Some(TaskStatus::Failed),
    }
}
