//! Shared state handed to every request handler and to the dispatcher.

use std::sync::Arc;

use sluice_core::clock::Clock;
use sluice_core::secretbox::SecretBox;
use sluice_store::Store;

use crate::config::Config;

/// Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct AppState {
    /// The durable store.
    pub store: Arc<dyn Store>,
    /// Server configuration.
    pub config: Arc<Config>,
    /// Seals and opens endpoint secrets.
    pub secrets: SecretBox,
    /// HS256 key material for API tokens.
    pub jwt_secret: Arc<Vec<u8>>,
    /// Sources' unsealed configs, reused while unchanged.
    pub opened: Arc<crate::ingest::sealed::OpenedCache>,
    /// What the ingest route did, by outcome and rejection reason.
    pub inbound: Arc<crate::ingest::stats::InboundStats>,
    /// Where operational events go (see [`crate::events`]).
    pub events: Arc<dyn crate::events::EventSink>,
    /// Where `now` comes from: the system clock, unless a test injects its own.
    pub clock: Arc<dyn Clock>,
    /// When this node's dispatcher last made progress (armed when it starts).
    pub heartbeat: Arc<crate::telemetry::Heartbeat>,
    /// Wakes this node's background-task runner when a task is created here.
    pub task_wake: crate::tasks::TaskWake,
}
