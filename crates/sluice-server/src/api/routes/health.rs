//! `GET/HEAD /api/v1/health` and `/api/v1/health/ping`: no authentication, so load
//! balancers and `sluice healthcheck` can probe them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::state::AppState;

/// Svix's report shape; Sluice's queue *is* the store, and it has no separate cache, so all
/// three components report the store's health.
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let (code, status) = match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: store unreachable");
            (StatusCode::INTERNAL_SERVER_ERROR, "error")
        }
    };
    let component = json!({ "status": status });
    (
        code,
        Json(json!({ "database": component, "queue": component, "cache": component })),
    )
}

/// Liveness only: 204 while the process serves requests.
pub async fn ping() -> StatusCode {
    StatusCode::NO_CONTENT
}
