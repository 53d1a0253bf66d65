//! `idempotency-key` on POST: the same key (for the same caller and URL) gets the same
//! response, and the request runs once.
//!
//! - The cache key is BLAKE2s of the `Authorization` header, the client's key and the path
//!   with query (as Svix: the body is not compared).
//! - A stored response is replayed verbatim (status and body, JSON).
//! - Concurrent duplicates in this process wait for the first one (an in-memory map of
//!   keys in flight) and then get its response.
//! - Only 2xx responses are stored; after a failure the next duplicate runs again, so a
//!   client retrying a 5xx or a 409 gets a fresh answer.
//! - Stored bodies are sealed with the server's [`SecretBox`](sluice_core::secretbox): some
//!   responses are secrets (a rotated `whsec_`, a portal token, an ingest URL), and the
//!   store holds nothing else of that kind in clear.
//! - The cache is consulted only for a caller the route would accept (valid, unrevoked
//!   token allowed on this route): a replay is authorised like the request itself, so a
//!   logged-out or expired token cannot read back a cached secret.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use blake2::{Blake2s256, Digest};
use sluice_store::CachedResponse;
use tokio::sync::watch;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Header carrying the client's key.
pub const HEADER: &str = "idempotency-key";

/// What a request in flight ended with, as seen by the duplicates waiting for it.
#[derive(Debug, Clone)]
enum Outcome {
    /// A 2xx, stored: replay it.
    Cached(CachedResponse),
    /// Not stored (not a 2xx): run the request again.
    Retry,
}

type Slot = watch::Receiver<Option<Outcome>>;

/// Shared state of the middleware: the server's state (store, sealing key, token check)
/// and the keys currently in flight here.
pub struct Idempotency {
    state: AppState,
    in_flight: Mutex<HashMap<String, Slot>>,
}

impl Idempotency {
    /// Middleware state over the server's `state`.
    pub fn new(state: AppState) -> Arc<Self> {
        Arc::new(Self {
            state,
            in_flight: Mutex::new(HashMap::new()),
        })
    }

    /// The stored response of `key`, unsealed. One that cannot be opened (the encryption
    /// key changed) counts as absent.
    async fn get(&self, key: &str) -> Result<Option<CachedResponse>, ApiError> {
        let Some(stored) = self.state.store.idempotency_get(key).await? else {
            return Ok(None);
        };
        match self.state.secrets.open_bytes(&stored.body) {
            Ok(body) => Ok(Some(CachedResponse {
                status: stored.status,
                body,
            })),
            Err(_) => {
                tracing::warn!(
                    "a cached idempotent response could not be unsealed; running the request"
                );
                Ok(None)
            }
        }
    }

    /// Stores `resp` for `key`, sealed.
    async fn put(&self, key: &str, resp: &CachedResponse) -> Result<(), sluice_store::StoreError> {
        let sealed = CachedResponse {
            status: resp.status,
            body: self.state.secrets.seal_bytes(&resp.body),
        };
        self.state
            .store
            .idempotency_put(key, sealed, sluice_core::now_millis())
            .await
    }

    /// Becomes the runner of `key`, or returns the slot of the request already running it.
    fn claim(self: &Arc<Self>, key: &str) -> Result<Leader, Slot> {
        let mut map = self.in_flight.lock().expect("in-flight map poisoned");
        if let Some(slot) = map.get(key) {
            return Err(slot.clone());
        }
        let (tx, rx) = watch::channel(None);
        map.insert(key.to_string(), rx.clone());
        Ok(Leader {
            owner: self.clone(),
            key: key.to_string(),
            tx,
            rx,
        })
    }
}

/// The request running a key. Dropping it (the request was cancelled) frees the key, and
/// waiting duplicates then compete to run it themselves.
struct Leader {
    owner: Arc<Idempotency>,
    key: String,
    tx: watch::Sender<Option<Outcome>>,
    rx: Slot,
}

impl Leader {
    fn finish(self, outcome: Outcome) {
        // Publish before leaving the map: waiters get the outcome, later arrivals find the
        // stored response.
        let _ = self.tx.send(Some(outcome));
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        let mut map = self.owner.in_flight.lock().expect("in-flight map poisoned");
        if map
            .get(&self.key)
            .is_some_and(|slot| slot.same_channel(&self.rx))
        {
            map.remove(&self.key);
        }
    }
}

/// Waits for the runner of a key; `None` if it failed or vanished.
async fn wait(mut slot: Slot) -> Option<CachedResponse> {
    loop {
        if let Some(outcome) = slot.borrow_and_update().clone() {
            return match outcome {
                Outcome::Cached(c) => Some(c),
                Outcome::Retry => None,
            };
        }
        slot.changed().await.ok()?;
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
    let accepted = Caller::from_request_parts(&mut parts, &idem.state)
        .await
        .is_ok();
    let req = Request::from_parts(parts, body);
    if !accepted {
        return next.run(req).await;
    }

    let leader = loop {
        match idem.claim(&key) {
            Ok(leader) => break leader,
            Err(slot) => {
                if let Some(cached) = wait(slot).await {
                    return replay(cached);
                }
            }
        }
    };

    match idem.get(&key).await {
        Ok(Some(cached)) => {
            leader.finish(Outcome::Cached(cached.clone()));
            return replay(cached);
        }
        Ok(None) => {}
        Err(e) => {
            leader.finish(Outcome::Retry);
            return e.into_response();
        }
    }

    let resp = next.run(req).await;
    if !resp.status().is_success() {
        leader.finish(Outcome::Retry);
        return resp;
    }
    let (parts, body) = resp.into_parts();
    // API responses are already-buffered JSON, so this only moves bytes.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            leader.finish(Outcome::Retry);
            return ApiError::internal(e).into_response();
        }
    };
    let cached = CachedResponse {
        status: parts.status.as_u16(),
        body: bytes.to_vec(),
    };
    if let Err(e) = idem.put(&key, &cached).await {
        // The request itself succeeded; only the replay protection is lost.
        tracing::warn!(error = %e, "storing idempotent response failed");
    }
    leader.finish(Outcome::Cached(cached));
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
}
