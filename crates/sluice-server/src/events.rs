//! Where operational events go. The dispatcher, the operations and the ingest route call
//! [`EventSink::emit`] after the state change they report is committed; the sink must not
//! block them (it queues). [`LogSink`] only logs: what a server has until its operational
//! webhook sink is installed.

use sluice_core::events::OpEvent;

/// Receives operational events. `emit` returns at once; delivery is the sink's business.
pub trait EventSink: Send + Sync + 'static {
    /// Hands one event over.
    fn emit(&self, event: OpEvent);
}

/// Logs each event and does nothing else.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogSink;

impl EventSink for LogSink {
    fn emit(&self, event: OpEvent) {
        tracing::info!(event_type = event.event_type(), "operational event");
    }
}
