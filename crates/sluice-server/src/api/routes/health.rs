//! `GET/HEAD /api/v1/health` and `/api/v1/health/ping`: no authentication, so load
//! balancers and `sluice healthcheck` can probe them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use sluice_core::Millis;

use crate::state::AppState;

/// Svix's report shape (`database`, `queue`, `cache`: Sluice's queue *is* the store, and
/// it has no separate cache, so all three report the store's health) plus `dispatcher`:
/// `ok`, `disabled` (this node does not dispatch), or `error` when work has been due for
/// longer than `dispatcher_stall_secs` while the dispatcher made no progress for as long.
/// An unreachable store answers 500 (as Svix does); a stalled dispatcher 503.
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let store = match state.store.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::error!(error = %e, "health check: store unreachable");
            "error"
        }
    };
    let dispatcher = dispatcher_status(&state).await;
    let code = match (store, dispatcher) {
        ("error", _) => StatusCode::INTERNAL_SERVER_ERROR,
        (_, "error") => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    let component = json!({ "status": store });
    (
        code,
        Json(json!({
            "database": component,
            "queue": component,
            "cache": component,
            "dispatcher": { "status": dispatcher },
        })),
    )
}

/// `disabled`, `ok` or `error` (see [`health`]).
async fn dispatcher_status(state: &AppState) -> &'static str {
    let Some(last) = state.heartbeat.last() else {
        return "disabled";
    };
    let now = state.clock.now();
    let stall: Millis = Millis::try_from(state.config.dispatcher_stall_secs)
        .unwrap_or(Millis::MAX / 1000)
        .saturating_mul(1000);
    if now.saturating_sub(last) <= stall {
        return "ok";
    }
    // No progress for a while: unhealthy only if work has been waiting all that time (an
    // idle queue, or one whose every endpoint is disabled, is not a stall).
    match state.store.next_due_at().await {
        Ok(Some(due)) if now.saturating_sub(due) > stall => {
            tracing::error!(
                last_progress_ms_ago = now.saturating_sub(last),
                oldest_due_ms_ago = now.saturating_sub(due),
                "health check: the dispatcher makes no progress while work is due"
            );
            "error"
        }
        Ok(_) => "ok",
        // The store's own entry reports it.
        Err(_) => "ok",
    }
}

/// Liveness only: 204 while the process serves requests.
pub async fn ping() -> StatusCode {
    StatusCode::NO_CONTENT
}
