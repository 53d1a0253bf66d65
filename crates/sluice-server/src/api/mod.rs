//! The management API under `/api/v1`, wire-compatible with Svix's v1 API: same paths, same
//! camelCase JSON, same cursor pagination, same `{code, detail}` errors, same bearer JWTs.
//!
//! # Layout
//! - [`router`] — every route and the layers around them (body limit, idempotency, JSON
//!   fallbacks).
//! - [`crate::error::ApiError`] — the only error type handlers return (shared with `auth`
//!   and `ingest`, so it lives at the crate root).
//! - [`extract`] — JSON body and query extractors with Svix-shaped rejections.
//! - [`pagination`] — `limit`/`iterator`/`done`.
//! - [`idempotency`] — the `idempotency-key` middleware.
//! - [`validation`] — field rules (URLs, uids, channels, headers).
//! - [`models`] — wire structs; [`routes`] — handlers, one module per area, each a thin
//!   adapter over [`crate::ops`].
//! - [`owner`] — whose endpoints a route addresses (an application or a source), so the
//!   endpoint routes are one set of handlers, wired once by [`endpoint_routes`].
//! - [`unserved`] — the Svix SDK routes Sluice does not serve, answered 501.
//!
//! Trailing slashes are normalised outside this router, by startup.

pub mod extract;
pub mod idempotency;
pub mod models;
pub mod owner;
pub mod pagination;
pub mod routes;
pub mod unserved;
pub mod validation;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post};
use axum::{Extension, Router};

use self::extract::BodyLimit;
use self::idempotency::Idempotency;
use self::routes::{
    applications, attempts, auth, endpoint_headers, endpoint_ops, endpoint_secret, endpoints,
    event_types, health, integrations, messages, operational_webhooks, redrive, sources, tasks,
};
use crate::state::AppState;

/// The whole HTTP app: the management API and the ingest route.
pub fn router(state: AppState) -> Router {
    management(state.clone()).merge(crate::ingest::router(state))
}

/// Only the unauthenticated health routes: what a `worker` node serves, so load balancers
/// and orchestrators can probe it.
pub fn health_router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/health", get(health::health))
        .route("/api/v1/health/ping", get(health::ping))
        .with_state(state)
}

/// `/api/v1/**` and `/ingest/api/v1/**` with their body limit, idempotency and JSON errors.
fn management(state: AppState) -> Router {
    let limit = state.config.max_payload_bytes;
    let idem = Idempotency::new(state.clone());
    let app = "/api/v1/app/{app_id}";
    let ep = "/api/v1/app/{app_id}/endpoint/{endpoint_id}";
    let msg = "/api/v1/app/{app_id}/msg/{msg_id}";
    Router::new()
        .route("/api/v1/health", get(health::health))
        .route("/api/v1/health/ping", get(health::ping))
        .route(
            "/api/v1/auth/app-portal-access/{app_id}",
            post(auth::app_portal_access),
        )
        // Deprecated Svix alias of app-portal-access.
        .route(
            "/api/v1/auth/dashboard-access/{app_id}",
            post(auth::app_portal_access),
        )
        .route("/api/v1/auth/logout", post(auth::logout))
        .route(
            "/api/v1/auth/app/{app_id}/expire-all",
            post(auth::expire_all),
        )
        .route(
            "/api/v1/app",
            get(applications::list).post(applications::create),
        )
        .route(
            app,
            get(applications::get)
                .put(applications::upsert)
                .patch(applications::patch)
                .delete(applications::delete),
        )
        .merge(endpoint_routes(app))
        // Application endpoints only: a source's endpoints take neither a PATCH nor these.
        .route(ep, patch(endpoints::patch))
        .route(&format!("{ep}/recover"), post(redrive::recover))
        .route(
            &format!("{ep}/replay-missing"),
            post(redrive::replay_missing),
        )
        .route(&format!("{ep}/bulk-replay"), post(redrive::bulk_replay))
        .route(
            &format!("{ep}/dead-letter"),
            get(redrive::endpoint_dead_letters),
        )
        .route(
            &format!("{app}/dead-letter"),
            get(redrive::app_dead_letters),
        )
        .route("/api/v1/background-task", get(tasks::list))
        .route("/api/v1/background-task/{task_id}", get(tasks::get))
        .route("/api/v1/stats/usage/app", post(tasks::app_usage))
        .route(
            &format!("{app}/msg/expunge-all-contents"),
            post(tasks::expunge_all).get(tasks::get_message_named),
        )
        .route(
            &format!("{app}/msg/bulk-expunge"),
            post(tasks::bulk_expunge).get(tasks::get_message_named),
        )
        .route(
            &format!("{ep}/send-example"),
            post(endpoint_ops::send_example),
        )
        .route(&format!("{ep}/stats"), get(endpoint_ops::stats))
        .route(
            &format!("{ep}/attempt-stats"),
            get(endpoint_ops::attempt_stats),
        )
        .route(&format!("{ep}/msg"), get(attempts::attempted_messages))
        .route(
            &format!("{app}/integration"),
            get(integrations::list).post(integrations::create),
        )
        .route(
            &format!("{app}/integration/{{integ_id}}"),
            get(integrations::get)
                .put(integrations::update)
                .delete(integrations::delete),
        )
        .route(
            &format!("{app}/integration/{{integ_id}}/key"),
            get(integrations::get_key),
        )
        .route(
            &format!("{app}/integration/{{integ_id}}/key/rotate"),
            post(integrations::rotate_key),
        )
        .route(
            "/api/v1/event-type",
            get(event_types::list).post(event_types::create),
        )
        .route(
            "/api/v1/event-type/{event_type_name}",
            get(event_types::get)
                .put(event_types::upsert)
                .patch(event_types::patch)
                .delete(event_types::delete),
        )
        .route(
            &format!("{app}/msg"),
            get(messages::list).post(messages::create),
        )
        .route(msg, get(messages::get))
        .route(&format!("{msg}/content"), delete(messages::expunge_content))
        .route(
            &format!("{msg}/endpoint"),
            get(attempts::attempted_destinations),
        )
        .route(&format!("{msg}/attempt/{{attempt_id}}"), get(attempts::get))
        .route(
            &format!("{msg}/attempt/{{attempt_id}}/content"),
            delete(attempts::expunge_content),
        )
        .route(
            &format!("{msg}/endpoint/{{endpoint_id}}/resend"),
            post(attempts::resend),
        )
        // Deprecated Svix list routes, kept for older SDKs.
        .route(&format!("{msg}/attempt"), get(attempts::list_by_msg))
        .route(
            &format!("{msg}/endpoint/{{endpoint_id}}/attempt"),
            get(attempts::list_by_msg_and_endpoint),
        )
        .route(
            &format!("{app}/attempt/msg/{{msg_id}}"),
            get(attempts::list_by_msg),
        )
        .route(
            &format!("{app}/attempt/endpoint/{{endpoint_id}}"),
            get(attempts::list_by_endpoint),
        )
        .merge(ingest_api())
        .merge(operational_api())
        // Svix SDK routes that Sluice does not serve answer 501 (see `unserved`).
        .fallback(unserved::route_not_found)
        .method_not_allowed_fallback(unserved::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(Extension(BodyLimit(limit)))
        .layer(axum::middleware::from_fn_with_state(
            idem,
            idempotency::middleware,
        ))
        .with_state(state)
}

/// `/ingest/api/v1/source…`: sources; their endpoints are [`endpoint_routes`].
fn ingest_api() -> Router<AppState> {
    let src = "/ingest/api/v1/source/{source_id}";
    Router::new()
        .route(
            "/ingest/api/v1/source",
            get(sources::list).post(sources::create),
        )
        .route(
            src,
            get(sources::get)
                .put(sources::upsert)
                .delete(sources::delete),
        )
        .route(&format!("{src}/token/rotate"), post(sources::rotate_token))
        .route("/ingest/api/v1/stats", get(sources::stats))
        .merge(endpoint_routes(src))
}

/// `/api/v1/operational-webhook/endpoint…`: the org's operational webhook endpoints.
fn operational_api() -> Router<AppState> {
    use operational_webhooks as op;
    let ep = "/api/v1/operational-webhook/endpoint/{endpoint_id}";
    Router::new()
        .route(
            "/api/v1/operational-webhook/endpoint",
            get(op::list).post(op::create),
        )
        .route(ep, get(op::get).put(op::upsert).delete(op::delete))
        .route(&format!("{ep}/secret"), get(op::get_secret))
        .route(&format!("{ep}/secret/rotate"), post(op::rotate_secret))
        .route(
            &format!("{ep}/headers"),
            get(op::get_headers).put(op::set_headers),
        )
}

/// The endpoint routes under `owner` (an application, `/api/v1/app/{app_id}`, or a source,
/// `/ingest/api/v1/source/{source_id}`): list, create, get, replace, delete, secret and
/// headers. One set of handlers serves both; they find the owner in the path
/// ([`owner::Owner`]).
fn endpoint_routes(owner: &str) -> Router<AppState> {
    let ep = format!("{owner}/endpoint/{{endpoint_id}}");
    Router::new()
        .route(
            &format!("{owner}/endpoint"),
            get(endpoints::list).post(endpoints::create),
        )
        .route(
            &ep,
            get(endpoints::get)
                .put(endpoints::upsert)
                .delete(endpoints::delete),
        )
        .route(&format!("{ep}/secret"), get(endpoint_secret::get))
        .route(
            &format!("{ep}/secret/rotate"),
            post(endpoint_secret::rotate),
        )
        .route(
            &format!("{ep}/headers"),
            get(endpoint_headers::get)
                .put(endpoint_headers::put)
                .patch(endpoint_headers::patch),
        )
}
