//! `POST /ingest/{token}` (and `GET`, for handshakes): find the source, check the peer,
//! read the bounded body, verify, then dedupe (on the provider's event id, else on a digest
//! of the content) and store in one write job and answer. No
//! outbound call happens before the answer: forwarding is the dispatcher's job, woken by
//! the commit.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use sluice_core::ids;
use sluice_core::inbound::{self, Rejection, SourceConfig, Verdict};
use sluice_core::model::{InboundMeta, Message, Source};
use sluice_store::{InboundAccepted, StoreError};

use super::headers::forwardable;
use super::kinds::Settings;
use super::sealed::Opened;
use super::stats::Counted;
use super::tokens::token_hash;
use crate::error::{ApiError, Chain};
use crate::state::AppState;

/// The status a verification failure is answered with.
fn rejection_status(r: &Rejection) -> StatusCode {
    match r {
        Rejection::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Rejection::Misconfigured(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNAUTHORIZED,
    }
}

/// The handler; see the module documentation.
pub async fn receive(
    State(state): State<AppState>,
    Path(token): Path<String>,
    req: Request,
) -> Response {
    let now = state.clock.now();
    let stats = &state.inbound;
    let src = match state.store.source_by_token(&token_hash(&token), now).await {
        Ok(Some(src)) => src,
        Ok(None) => {
            crate::telemetry::count_rejection("unknown_token");
            tracing::debug!("inbound request with an unknown or expired token");
            return ApiError::not_found_what("No such source").into_response();
        }
        Err(e) => return store_failed(e),
    };
    let opened = match state.opened.open(&state.secrets, &src) {
        Ok(o) => o,
        Err(why) => {
            tracing::error!(source.id = %src.id, "{why}");
            return ApiError::http(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Source unusable",
            )
            .into_response();
        }
    };
    let Opened { settings, stored } = &*opened;
    let (parts, body) = req.into_parts();
    if !peer_allowed(settings, parts.extensions.get::<ConnectInfo<SocketAddr>>()) {
        stats.count(&src.org_id, Counted::ForbiddenIp);
        tracing::info!(source.id = %src.id, "request from an address outside the allow-list");
        return ApiError::forbidden("Address not allowed").into_response();
    }
    let verifier = match settings.verifier(&stored.valid_retired(now)) {
        Some(v) => v,
        None => {
            return ApiError::http(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Cron sources emit on their schedule and receive nothing",
            )
            .into_response()
        }
    };
    let limit = state.config.max_payload_bytes;
    let body = match axum::body::to_bytes(Body::new(body), limit).await {
        Ok(b) => b,
        Err(_) => {
            stats.count(&src.org_id, Counted::TooLarge);
            return ApiError::payload_too_large(limit).into_response();
        }
    };
    let headers = header_pairs(&parts.headers);
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path}", state.config.public_base());
    let request = inbound::Request {
        method: parts.method.as_str(),
        url: &url,
        headers: &headers,
        body: &body,
        now: now.div_euclid(1000),
    };
    match inbound::verify(&verifier, &request) {
        Err(r) => {
            stats.reject(&src.org_id, &r);
            report_if_failing(&state, &src, &r, now);
            tracing::info!(source.id = %src.id, reason = r.code(), "inbound request rejected");
            ApiError::http(rejection_status(&r), r.code(), r.to_string()).into_response()
        }
        Ok(Verdict::Handshake {
            status,
            content_type,
            body,
        }) => {
            stats.count(&src.org_id, Counted::Handshake);
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Ok(Verdict::Verified {
            event_id,
            event_type,
        }) => {
            let Ok(payload) = String::from_utf8(body.to_vec()) else {
                stats.count(&src.org_id, Counted::NotText);
                return ApiError::bad_request("bad_request", "Body must be UTF-8 text")
                    .into_response();
            };
            // Without a provider id, the event is deduplicated on its content within the
            // same window (see `inbound::dedupe` for what the digest covers and why).
            let key = event_id
                .clone()
                .unwrap_or_else(|| inbound::content_key(&verifier, &request));
            let meta = inbound_meta(&verifier, &headers);
            let msg = message(&src, event_type, event_id, payload, meta, now);
            store(&state, &src, msg, key, now).await
        }
    }
}

/// Emits `source.verification.failing` when this rejection makes the source reach the
/// threshold in its window (see [`super::alarm`]).
fn report_if_failing(state: &AppState, src: &Source, r: &Rejection, now: i64) {
    let config = &state.config;
    let window_ms = i64::try_from(config.source_failure_alert_window_secs)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000);
    let threshold = config.source_failure_alert_threshold;
    if let Some(event) = state
        .inbound
        .failures
        .record(src, r.code(), now, threshold, window_ms)
    {
        tracing::warn!(source.id = %src.id, reason = r.code(), "source verification failing");
        state.events.emit(event);
    }
}

/// Commits the message unless `key` was seen within the window, then answers.
async fn store(
    state: &AppState,
    src: &Source,
    mut msg: Message,
    key: String,
    now: i64,
) -> Response {
    msg.payload_expires_at = state
        .config
        .payload_retention_ms()
        .map(|ms| now.saturating_add(ms));
    msg.trace_context = crate::trace::current_traceparent();
    let id = msg.id.clone();
    match state
        .store
        .create_inbound_message(&src.id, msg, Some(key), now)
        .await
    {
        Ok(InboundAccepted::Created { .. }) => {
            state.inbound.count(&src.org_id, Counted::Accepted);
            crate::telemetry::count_ingested(&src.app_id, &src.id);
            (StatusCode::OK, Json(json!({"id": id, "duplicate": false}))).into_response()
        }
        Ok(InboundAccepted::Duplicate) => {
            state.inbound.count(&src.org_id, Counted::Duplicate);
            tracing::debug!(source.id = %src.id, "duplicate inbound event dropped");
            (StatusCode::OK, Json(json!({"duplicate": true}))).into_response()
        }
        Err(e) => store_failed(e),
    }
}

/// A 503 (store unavailable, with `Retry-After`) or a 500: the provider will retry, and
/// nothing was promised.
fn store_failed(e: StoreError) -> Response {
    if let StoreError::Unavailable(_) = e {
        return ApiError::from(e).into_response();
    }
    tracing::error!(error = %Chain(&e), "inbound store failure");
    ApiError::http(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Storage failed; retry",
    )
    .into_response()
}

/// The message of a verified request.
pub fn message(
    src: &Source,
    event_type: Option<String>,
    event_id: Option<String>,
    payload: String,
    meta: InboundMeta,
    now: i64,
) -> Message {
    Message {
        id: ids::new_id(ids::MESSAGE, now),
        app_id: src.app_id.clone(),
        event_type: event_type.unwrap_or_else(|| format!("ingest.{}", src.kind)),
        event_id,
        channels: None,
        payload,
        inbound: Some(meta),
        created_at: now,
        ..Message::default()
    }
}

/// Content type and forwardable headers of a request (not the source's own credentials).
fn inbound_meta(verifier: &SourceConfig, headers: &[(String, String)]) -> InboundMeta {
    let content_type = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map_or_else(
            || "application/octet-stream".to_string(),
            |(_, v)| v.clone(),
        );
    let credentials: Vec<&str> = verifier.credential_headers().collect();
    InboundMeta {
        content_type,
        headers: forwardable(headers, &credentials),
    }
}

/// Header names and values as text; values that are not visible ASCII/UTF-8 are skipped
/// (no scheme signs such a header).
fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

/// Whether the TCP peer may post to this source. Without an allow-list, anyone may.
fn peer_allowed(settings: &Settings, peer: Option<&ConnectInfo<SocketAddr>>) -> bool {
    let nets = settings.allowed_networks();
    if nets.is_empty() {
        return true;
    }
    let Some(ConnectInfo(addr)) = peer else {
        return false;
    };
    let ip = addr.ip().to_canonical();
    nets.iter().any(|n| n.contains(&ip))
}
