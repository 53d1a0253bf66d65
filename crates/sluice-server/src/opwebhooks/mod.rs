//! Operational webhooks: how an [`OpEvent`] becomes a signed, retried webhook to the
//! operator's operational endpoints.
//!
//! 1. An emitter (an operation, the ingest route, the dispatcher) calls
//!    [`EventSink::emit`] after its change is committed. [`OperationalSink::emit`] only
//!    pushes the event onto a bounded in-memory queue: it never blocks or fails the
//!    emitter; when the queue is full the event is dropped, counted and logged.
//! 2. The [`publisher`] task takes events off the queue, finds the customer org of the
//!    event's application, and, when that org has an operational application (it has
//!    operational endpoints, see [`crate::ops::operational`]), publishes the
//!    [`payload`] as a message of that application through the ordinary publishing
//!    operation. From there it is any other message: stored durably, fanned out to the
//!    endpoints whose filters match, signed, retried.
//!
//! Events about the management org's own applications are dropped (no operational
//! webhook about an operational webhook). An event still in the queue when the process
//! dies is lost; once published it is as durable as any message.

pub mod payload;
pub mod publisher;

use std::sync::atomic::{AtomicU64, Ordering};

use sluice_core::events::OpEvent;
use tokio::sync::mpsc;

use crate::events::EventSink;

/// Events the queue holds before new ones are dropped. Publishing takes one store write
/// per event, so this is seconds of a burst (a mass auto-disable, a flood of exhausted
/// deliveries) at most.
pub const QUEUE_CAPACITY: usize = 4096;

/// The event sink of a running server: queues each event for the [`publisher`].
#[derive(Debug)]
pub struct OperationalSink {
    tx: mpsc::Sender<OpEvent>,
    dropped: AtomicU64,
}

impl OperationalSink {
    /// A sink whose queue holds `capacity` events, and the receiving end for
    /// [`publisher::run`].
    pub fn new(capacity: usize) -> (Self, mpsc::Receiver<OpEvent>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let sink = Self {
            tx,
            dropped: AtomicU64::new(0),
        };
        (sink, rx)
    }

    /// Events dropped since start because the queue was full or closed.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn drop_event(&self, event_type: &'static str, reason: &'static str) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("sluice_operational_events_dropped_total", "reason" => reason)
            .increment(1);
        tracing::warn!(event_type, reason, "operational event dropped");
    }
}

impl EventSink for OperationalSink {
    fn emit(&self, event: OpEvent) {
        let event_type = event.event_type();
        metrics::counter!("sluice_operational_events_total", "type" => event_type).increment(1);
        match self.tx.try_send(event) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => self.drop_event(event_type, "queue_full"),
            Err(mpsc::error::TrySendError::Closed(_)) => self.drop_event(event_type, "stopped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use sluice_core::events::EndpointRef;

    use super::*;

    fn created() -> OpEvent {
        OpEvent::EndpointCreated(EndpointRef {
            app_id: "app_1".into(),
            app_uid: None,
            endpoint_id: "ep_1".into(),
            endpoint_uid: None,
        })
    }

    #[test]
    fn a_full_queue_drops_and_counts_without_blocking() {
        let (sink, mut rx) = OperationalSink::new(2);
        for _ in 0..5 {
            sink.emit(created());
        }
        assert_eq!(sink.dropped(), 3);
        assert_eq!(rx.try_recv().unwrap(), created());
        assert_eq!(rx.try_recv().unwrap(), created());
        assert!(rx.try_recv().is_err());
        drop(rx);
        sink.emit(created());
        assert_eq!(sink.dropped(), 4);
    }
}
