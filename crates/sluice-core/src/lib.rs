//! Pure domain of Sluice: identifiers, models, the retry policy and outcome classes,
//! Standard Webhooks signing, secret sealing and endpoint filters.
//!
//! # Layout
//! - [`ids`]: prefixed, time-sortable identifiers (`app_…`, `ep_…`, `msg_…`).
//! - [`model`]: the rows every layer speaks about (application, endpoint, message, delivery, attempt).
//! - [`retry`]: retry schedule, jitter, `Retry-After`, and the classification of one try's outcome.
//! - [`control`]: per-endpoint throttle, `Retry-After` pause, circuit breaker and auto-disable
//!   clock (pure; the stores keep the state).
//! - [`queue`]: the delivery queue's vocabulary (claim, claimed delivery, try, outcome).
//! - [`events`]: operational events (what operational webhooks report).
//! - [`clock`]: where `now` comes from (the system clock, or a manual one in tests).
//! - [`signing`]: Standard Webhooks `v1` (HMAC-SHA256) and `v1a` (Ed25519) sign and verify.
//! - [`secretbox`]: encryption of endpoint secrets at rest.
//! - [`filter`]: which endpoints a message goes to; identifier validation.
//! - [`inbound`]: the provider registry, verifiers of provider webhooks (Stripe, GitHub, Slack, …)
//!   and their handshakes.
//!
//! Nothing here does I/O: no tokio, no database, no HTTP server.

pub mod clock;
pub mod control;
pub mod events;
pub mod filter;
pub mod ids;
pub mod inbound;
pub mod model;
pub mod queue;
pub mod retry;
pub mod secretbox;
pub mod signing;

/// Milliseconds since the Unix epoch; every stored time uses this unit.
pub type Millis = i64;

/// The current wall-clock time in milliseconds. Callers pass the result down as `now` so
/// that tests can substitute their own clock.
pub fn now_millis() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

/// Formats stored milliseconds as the RFC 3339 timestamp the Svix API uses.
pub fn millis_to_rfc3339(ms: Millis) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
