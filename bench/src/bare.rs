//! The ceiling: a bare axum handler for the same request Sluice's ingest gets. It parses the
//! `MessageIn` JSON and answers 202 with a small JSON body, and does nothing else (no
//! storage, no auth), so its rate is what this machine's HTTP stack can do for the request.

use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageIn {
    event_type: String,
    #[serde(default)]
    event_id: Option<String>,
    payload: serde_json::Value,
    #[serde(default)]
    channels: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageOut {
    id: &'static str,
    event_type: String,
    event_id: Option<String>,
    channels: Option<Vec<String>>,
    timestamp: &'static str,
}

async fn create_message(Json(msg): Json<MessageIn>) -> (StatusCode, Json<MessageOut>) {
    std::hint::black_box(&msg.payload);
    let out = MessageOut {
        id: "msg_2mPqRbRZq9JwGdcVnXoJ3uzRQ5D",
        event_type: msg.event_type,
        event_id: msg.event_id,
        channels: msg.channels,
        timestamp: "2025-01-01T00:00:00Z",
    };
    (StatusCode::ACCEPTED, Json(out))
}

/// Serves `POST /api/v1/app/{app}/msg` on `listener` until the process is ended.
pub async fn serve(listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let app = Router::new().route("/api/v1/app/{app}/msg", post(create_message));
    axum::serve(listener, app).await?;
    Ok(())
}
