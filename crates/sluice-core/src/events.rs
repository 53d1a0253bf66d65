//! Operational events: state changes that an operator's own systems are told about through
//! operational webhooks (Svix's event names, plus Sluice's own). Pure data: the dispatcher,
//! the operations and the ingest route describe what happened as an [`OpEvent`]; the
//! server's event sink turns it into a signed, retried operational webhook.

use crate::Millis;

/// Who disabled an endpoint (Svix's `trigger` of `endpoint.disabled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisableTrigger {
    /// Sluice did: the endpoint failed without a success for the configured time, or
    /// answered 410 Gone.
    Automatic,
    /// A user did (PUT/PATCH with `disabled: true`).
    Manual,
}

impl DisableTrigger {
    /// The wire value (`automatic` or `manual`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Automatic => "automatic",
            Self::Manual => "manual",
        }
    }
}

/// The endpoint an event is about. The uids are carried where the emitter knows them (a
/// deleted endpoint can no longer be looked up); the sink fills in the application's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRef {
    /// `app_…`
    pub app_id: String,
    /// The application's uid, if known to the emitter.
    pub app_uid: Option<String>,
    /// `ep_…`
    pub endpoint_id: String,
    /// The endpoint's uid, if it has one.
    pub endpoint_uid: Option<String>,
}

/// The attempt an attempt event is about (Svix's `lastAttempt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRef {
    /// `atmpt_…`
    pub id: String,
    /// When the try was made.
    pub timestamp: Millis,
    /// HTTP status, 0 when no response arrived.
    pub response_status_code: i32,
}

/// A message's delivery to an endpoint, as attempt events name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRef {
    /// The endpoint (and its application).
    pub endpoint: EndpointRef,
    /// `msg_…`
    pub msg_id: String,
    /// The message's `eventId`, if it has one.
    pub msg_event_id: Option<String>,
    /// The try that caused the event.
    pub last_attempt: AttemptRef,
}

/// One operational event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpEvent {
    /// `endpoint.created`
    EndpointCreated(EndpointRef),
    /// `endpoint.updated`
    EndpointUpdated(EndpointRef),
    /// `endpoint.deleted`
    EndpointDeleted(EndpointRef),
    /// `endpoint.disabled`: `fail_since` is when its failures without a success began.
    EndpointDisabled {
        /// The endpoint.
        endpoint: EndpointRef,
        /// Start of the run of failures that led to it (automatic disables).
        fail_since: Option<Millis>,
        /// Who disabled it.
        trigger: DisableTrigger,
    },
    /// `endpoint.enabled`
    EndpointEnabled(EndpointRef),
    /// `message.attempt.failing`: the 4th failed try of a round (as in Svix).
    AttemptFailing(DeliveryRef),
    /// `message.attempt.exhausted`: the last try of a round failed; the delivery is a dead
    /// letter.
    AttemptExhausted(DeliveryRef),
    /// `message.attempt.recovered`: a success after `message.attempt.failing` was sent.
    AttemptRecovered(DeliveryRef),
    /// `message.attempt.auth_failed` (Sluice): the receiver answered 401 or 403.
    AttemptAuthFailed(DeliveryRef),
    /// `endpoint.circuit.opened` (Sluice): deliveries to it wait until `until`, when one
    /// probe goes through.
    CircuitOpened {
        /// The endpoint.
        endpoint: EndpointRef,
        /// Consecutive failed tries that opened it.
        failures: u32,
        /// When the next probe may go.
        until: Millis,
    },
    /// `endpoint.circuit.closed` (Sluice): a probe succeeded; the backlog drains.
    CircuitClosed(EndpointRef),
    /// `source.verification.failing` (Sluice): a source rejected more requests than the
    /// threshold within the window.
    SourceVerificationFailing {
        /// The source's organisation (whose operational endpoints are told).
        org_id: String,
        /// `src_…`
        source_id: String,
        /// Rejections counted in the window.
        rejected: u64,
        /// The window's length.
        window_ms: Millis,
        /// The most frequent rejection reason in the window.
        reason: String,
    },
}

impl OpEvent {
    /// The event type, as the operational webhook's `type` and as its message's event type.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::EndpointCreated(_) => "endpoint.created",
            Self::EndpointUpdated(_) => "endpoint.updated",
            Self::EndpointDeleted(_) => "endpoint.deleted",
            Self::EndpointDisabled { .. } => "endpoint.disabled",
            Self::EndpointEnabled(_) => "endpoint.enabled",
            Self::AttemptFailing(_) => "message.attempt.failing",
            Self::AttemptExhausted(_) => "message.attempt.exhausted",
            Self::AttemptRecovered(_) => "message.attempt.recovered",
            Self::AttemptAuthFailed(_) => "message.attempt.auth_failed",
            Self::CircuitOpened { .. } => "endpoint.circuit.opened",
            Self::CircuitClosed(_) => "endpoint.circuit.closed",
            Self::SourceVerificationFailing { .. } => "source.verification.failing",
        }
    }
}
