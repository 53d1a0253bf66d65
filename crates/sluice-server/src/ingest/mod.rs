//! Inbound webhooks: sources (an application whose messages come from a third party), the
//! receiving route, forwarding metadata and cron sources.
//!
//! # Layout
//! - [`kinds`]: Svix source types and their wire `config`, mapped onto the provider registry.
//! - [`sealed`]: the sealed config column and provider-secret grace periods.
//! - [`tokens`]: ingest-URL tokens.
//! - [`receive`]: the `/ingest/{token}` route: verify, dedupe, store, answer.
//! - [`headers`]: which provider headers are kept for forwarding.
//! - [`stats`]: counters by outcome and rejection reason.
//! - [`alarm`]: `source.verification.failing` when a source's rejections reach a threshold.
//! - [`cron`]: the scheduler of cron sources.

pub mod alarm;
pub mod cron;
pub mod headers;
pub mod kinds;
pub mod receive;
pub mod sealed;
pub mod stats;
pub mod tokens;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// `/ingest/{token}`: `POST` for events, `GET` for handshakes (Meta). Outside the API's
/// idempotency and auth layers: providers authenticate by signature.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/ingest/{token}",
            get(receive::receive).post(receive::receive),
        )
        .with_state(state)
}
