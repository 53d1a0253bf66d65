//! Claiming an `idempotency-key` in the store, waiting while another request (on any node)
//! holds it, and keeping the claim alive while the request runs.
//!
//! Correctness comes from the store alone: [`Store::idempotency_begin`] lets one caller of
//! all the nodes sharing it run. The in-process [`Notify`] only shortens the wait of
//! duplicates on the node where the holder finishes; elsewhere they poll, with a pause that
//! doubles up to [`Timing::max_poll`], until [`Timing::wait`] runs out (then 409).
//!
//! [`Store::idempotency_begin`]: sluice_store::Store::idempotency_begin

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::response::Response;
use sluice_store::{CachedResponse, IdempotencyBegin};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::error::ApiError;
use crate::state::AppState;

/// How long claims last and duplicates wait.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Lease of a claim. The holder renews it every third of this while its request runs,
    /// so only a holder that died (node crash) lets it run out; then the key is free again.
    pub lease: Duration,
    /// How long a duplicate waits for the holder before it is answered 409.
    pub wait: Duration,
    /// First pause between two looks at the store while waiting.
    pub first_poll: Duration,
    /// Longest such pause.
    pub max_poll: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(10),
            wait: Duration::from_secs(10),
            first_poll: Duration::from_millis(10),
            max_poll: Duration::from_millis(200),
        }
    }
}

/// The claims of one node: the server's state, the timing, and the signal of claims ended
/// here.
pub(super) struct Claims {
    pub(super) state: AppState,
    timing: Timing,
    ended: Notify,
}

/// What a request with a key does.
pub(super) enum Begun {
    /// Run it, holding the claim.
    Run(Claim),
    /// Replay this (unsealed) response.
    Replay(CachedResponse),
    /// Run it without a claim: its stored response cannot be opened (the encryption key
    /// changed), so the key is as good as unused.
    RunUnguarded,
}

impl Claims {
    pub(super) fn new(state: AppState, timing: Timing) -> Arc<Self> {
        Arc::new(Self {
            state,
            timing,
            ended: Notify::new(),
        })
    }

    fn now(&self) -> i64 {
        self.state.clock.now()
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.timing.lease.as_millis()).unwrap_or(i64::MAX)
    }

    /// Claims `key`, replays its response, or waits for its holder; 409 once the wait runs
    /// out, 503 when the store is unavailable.
    pub(super) async fn begin(self: &Arc<Self>, key: &str) -> Result<Begun, ApiError> {
        let deadline = Instant::now() + self.timing.wait;
        let mut pause = self.timing.first_poll;
        loop {
            // Armed before the store is read, so an end in between is not missed.
            let mut ended = pin!(self.ended.notified());
            ended.as_mut().enable();
            let found = self
                .state
                .store
                .idempotency_begin(key, self.now(), self.lease_ms())
                .await?;
            match found {
                IdempotencyBegin::Run { token } => {
                    return Ok(Begun::Run(Claim {
                        claims: self.clone(),
                        key: key.to_string(),
                        token,
                        ended: false,
                    }))
                }
                IdempotencyBegin::Replay(sealed) => return Ok(self.open(sealed)),
                IdempotencyBegin::InFlight => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ApiError::conflict(
                    "A request with this idempotency-key is in progress",
                ));
            }
            tokio::select! {
                _ = ended => {}
                _ = tokio::time::sleep(pause.min(left)) => {}
            }
            pause = (pause * 2).min(self.timing.max_poll);
        }
    }

    fn open(&self, sealed: CachedResponse) -> Begun {
        match self.state.secrets.open_bytes(&sealed.body) {
            Ok(body) => Begun::Replay(CachedResponse {
                status: sealed.status,
                body,
                msg_id: sealed.msg_id,
            }),
            Err(_) => {
                tracing::warn!(
                    "a cached idempotent response could not be unsealed; running the request"
                );
                Begun::RunUnguarded
            }
        }
    }
}

/// A claim held by the running request. Dropped without an end (the request was
/// cancelled), it is abandoned, so duplicates need not wait for its lease.
pub(super) struct Claim {
    claims: Arc<Claims>,
    key: String,
    token: i64,
    ended: bool,
}

impl Claim {
    /// Runs `request`, renewing the lease every third of it until the request is done.
    pub(super) async fn hold(&self, request: impl Future<Output = Response>) -> Response {
        let every = self.claims.timing.lease / 3;
        let mut request = pin!(request);
        loop {
            if let Ok(resp) = tokio::time::timeout(every, request.as_mut()).await {
                return resp;
            }
            let c = &self.claims;
            match c
                .state
                .store
                .idempotency_renew(&self.key, self.token, c.now(), c.lease_ms())
                .await
            {
                Ok(true) => {}
                Ok(false) => tracing::warn!("an idempotency-key claim was lost while running"),
                Err(e) => tracing::warn!(error = %e, "renewing an idempotency-key claim failed"),
            }
        }
    }

    /// Stores the (plain) response, sealed, and ends the claim. Cancelled half-way, `drop`
    /// abandons the claim; a finish landing after that is still kept, since an abandon
    /// keeps the token (only a takeover changes it).
    pub(super) async fn finish(mut self, resp: &CachedResponse) {
        let c = &self.claims;
        let sealed = CachedResponse {
            status: resp.status,
            body: c.state.secrets.seal_bytes(&resp.body),
            msg_id: resp.msg_id.clone(),
        };
        match c
            .state
            .store
            .idempotency_finish(&self.key, self.token, sealed, c.now())
            .await
        {
            Ok(true) => {}
            // Another request took the key over after our lease ran out; its answer stands.
            Ok(false) => tracing::warn!("an idempotency-key claim was lost before finishing"),
            // The request itself succeeded; only the replay protection is lost.
            Err(e) => tracing::warn!(error = %e, "storing idempotent response failed"),
        }
        c.ended.notify_waiters();
        self.ended = true;
    }

    /// Frees the key for the next duplicate (the request failed).
    pub(super) async fn abandon(mut self) {
        abandon(&self.claims, &self.key, self.token).await;
        self.ended = true;
    }
}

async fn abandon(claims: &Claims, key: &str, token: i64) {
    if let Err(e) = claims.state.store.idempotency_abandon(key, token).await {
        tracing::warn!(error = %e, "freeing an idempotency-key claim failed");
    }
    claims.ended.notify_waiters();
}

impl Drop for Claim {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // shutting down: the lease frees the key
        };
        let (claims, key, token) = (
            self.claims.clone(),
            std::mem::take(&mut self.key),
            self.token,
        );
        runtime.spawn(async move { abandon(&claims, &key, token).await });
    }
}
