//! The Sluice server: the Svix-compatible management API, the dispatcher that delivers,
//! and the startup seam that wires them to a store.
//!
//! # Layout
//! - [`config`]: settings and their safe defaults.
//! - [`state`]: what handlers and the dispatcher share.
//! - [`auth`]: bearer tokens (org and app-portal scopes).
//! - [`error`]: the HTTP error type and its Svix-shaped bodies, shared by every route.
//! - [`ops`]: the operations (create, patch, rotate, recover, …): plain async functions
//!   over the store and a passed-in `now`, where business rules live.
//! - [`api`]: the HTTP routes under `/api/v1`, thin adapters over [`ops`].
//! - [`dispatch`]: claim → sign → send → record, with the SSRF-guarded HTTP client.
//! - [`ingest`]: inbound sources: receiving, verifying, deduping, cron.
//! - [`serve`]: the HTTP serve loop: timeouts, connection cap, graceful shutdown.
//! - [`retention`]: payload expiry and pruning passes, in bounded batches.
//! - [`maintenance`]: the periodic housekeeping pass (purges and retention), one node at a
//!   time.
//! - [`events`]: where operational events go; [`opwebhooks`]: the sink that turns them
//!   into operational webhooks.
//! - [`trace`]: request ids, the per-request span and the trace context of messages.
//! - [`tasks`]: background tasks (recover, replays, purge, usage stats) and their runner.
//! - [`startup`]: opens the store, loads keys, binds, serves, shuts down.
//! - [`telemetry`]: the Prometheus recorder, `/metrics`, bounded labels, every series,
//!   and the dispatcher's heartbeat.

pub mod api;
pub mod auth;
pub mod config;
pub mod dispatch;
pub mod error;
pub mod events;
pub mod ingest;
pub mod maintenance;
pub mod ops;
pub mod opwebhooks;
pub mod retention;
pub mod serve;
pub mod startup;
pub mod state;
pub mod tasks;
pub mod telemetry;
pub mod trace;
