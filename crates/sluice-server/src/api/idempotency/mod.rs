//! `idempotency-key` on POST: the same key (for the same caller and URL) gets the same
//! response, and the request runs once, whichever node of those sharing the store gets it.
//!
//! - The cache key is BLAKE2s of the `Authorization` header, the client's key and the path
//!   with query (as Svix: the body is not compared).
//! - The key is claimed in the store before the request runs ([`claim`]): duplicates wait
//!   for the holder and then replay its response, or get 409 `conflict` if it is still
//!   running after [`Timing::wait`]. A claim is a lease, renewed while its request runs, so
//!   a node that dies mid-request frees the key when the lease runs out.
//! - A stored response is replayed verbatim (status and body, JSON).
//! - Only 2xx responses are stored; after a failure the claim is abandoned and the next
//!   duplicate runs again, so a client retrying a 5xx or a 409 gets a fresh answer.
//! - Stored bodies are sealed with the server's [`SecretBox`](sluice_core::secretbox): some
//!   responses are secrets (a rotated `whsec_`, a portal token, an ingest URL), and the
//!   store holds nothing else of that kind in clear.
//! - The store is consulted only for a caller the route would accept (valid, unrevoked
//!   token allowed on this route): a replay is authorised like the request itself, so a
//!   logged-out or expired token cannot read back a cached secret.

mod claim;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use blake2::{Blake2s256, Digest};
use sluice_store::CachedResponse;

pub use self::claim::Timing;
use self::claim::{Begun, Claims};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Header carrying the client's key.
pub const HEADER: &str = "idempotency-key";

/// State of the middleware on one node: the server's state (store, sealing key, token
/// check) and how long claims last and duplicates wait.
pub struct Idempotency {
    claims: Arc<Claims>,
}

impl Idempotency {
    /// Middleware state over the server's `state`, with the default [`Timing`].
    pub fn new(state: AppState) -> Arc<Self> {
        Self::with_timing(state, Timing::default())
    }

    /// Middleware state with the given timing.
    pub fn with_timing(state: AppState, timing: Timing) -> Arc<Self> {
        Arc::new(Self {
            claims: Claims::new(state, timing),
        })
    }
}

/// The cache key of a request.
pub fn cache_key(authorization: &[u8], client_key: &[u8], path_and_query: &str) -> String {
    let mut h = Blake2s256::new();
    // Length prefixes keep the three parts from running into each other.
    for part in [authorization, client_key, path_and_query.as_bytes()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The message a response body shows (a top-level `"id": "msg_…"`: the answer of a publish
/// or a send-example), recorded with the cached copy so that expunging the message's
/// payload also drops the copy (the stored body is sealed and cannot be searched).
fn shown_message(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Shown {
        id: Option<String>,
    }
    serde_json::from_slice::<Shown>(body)
        .ok()?
        .id
        .filter(|id| sluice_core::ids::is_id(sluice_core::ids::MESSAGE, id))
}

fn replay(c: CachedResponse) -> Response {
    let status = StatusCode::from_u16(c.status).unwrap_or(StatusCode::OK);
    let json = !c.body.is_empty();
    let mut resp = Response::new(Body::from(c.body));
    *resp.status_mut() = status;
    if json {
        resp.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    resp
}

/// The middleware (`axum::middleware::from_fn_with_state`).
pub async fn middleware(
    State(idem): State<Arc<Idempotency>>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(client_key) = req.headers().get(HEADER) else {
        return next.run(req).await;
    };
    let auth = req
        .headers()
        .get(AUTHORIZATION)
        .map_or(&b""[..], HeaderValue::as_bytes);
    let path = req.uri().path_and_query().map_or("", |p| p.as_str());
    let key = cache_key(auth, client_key.as_bytes(), path);
    // A caller the route refuses gets the route's own refusal, never a cached response.
    let (mut parts, body) = req.into_parts();
    let accepted = Caller::from_request_parts(&mut parts, &idem.claims.state)
        .await
        .is_ok();
    let req = Request::from_parts(parts, body);
    if !accepted {
        return next.run(req).await;
    }

    let claim = match idem.claims.begin(&key).await {
        Ok(Begun::Run(claim)) => claim,
        Ok(Begun::Replay(cached)) => return replay(cached),
        Ok(Begun::RunUnguarded) => return next.run(req).await,
        Err(e) => return e.into_response(),
    };
    let resp = claim.hold(next.run(req)).await;
    if !resp.status().is_success() {
        claim.abandon().await;
        return resp;
    }
    let (parts, body) = resp.into_parts();
    // API responses are already-buffered JSON, so this only moves bytes.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            claim.abandon().await;
            return ApiError::internal(e).into_response();
        }
    };
    let cached = CachedResponse {
        status: parts.status.as_u16(),
        msg_id: shown_message(&bytes),
        body: bytes.to_vec(),
    };
    claim.finish(&cached).await;
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_callers_keys_and_paths() {
        let k = cache_key(b"Bearer a", b"k1", "/api/v1/app");
        assert_eq!(k.len(), 64);
        assert_eq!(k, cache_key(b"Bearer a", b"k1", "/api/v1/app"));
        assert_ne!(k, cache_key(b"Bearer b", b"k1", "/api/v1/app"));
        assert_ne!(k, cache_key(b"Bearer a", b"k2", "/api/v1/app"));
        assert_ne!(k, cache_key(b"Bearer a", b"k1", "/api/v1/app?x=1"));
        // No ambiguity from concatenation.
        assert_ne!(cache_key(b"ab", b"c", "/"), cache_key(b"a", b"bc", "/"));
    }

    #[test]
    fn the_message_a_response_shows() {
        let id = sluice_core::ids::new_id(sluice_core::ids::MESSAGE, 1);
        let body = format!(r#"{{"eventType":"a","id":"{id}","payload":{{"id":"x"}}}}"#);
        assert_eq!(shown_message(body.as_bytes()), Some(id));
        assert_eq!(shown_message(br#"{"id":"app_1"}"#), None);
        assert_eq!(shown_message(b"{}"), None);
        assert_eq!(shown_message(b""), None);
        assert_eq!(shown_message(b"not json"), None);
    }
}
