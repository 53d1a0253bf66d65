//! The rows every layer speaks about. Times are [`Millis`]; JSON shapes for the API live in
//! the server crate, not here.

use std::collections::BTreeMap;

use crate::Millis;

/// Free-form string metadata attached to applications and endpoints.
pub type Metadata = BTreeMap<String, String>;

/// A tenant: one customer of the product (outbound) or one consumer group (inbound).
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    /// `app_…`
    pub id: String,
    /// Owning organisation (the `sub` of the org token).
    pub org_id: String,
    /// Optional user-chosen unique id within the org.
    pub uid: Option<String>,
    /// Display name.
    pub name: String,
    /// Default messages/s limit for the app's endpoints.
    pub throttle_rate: Option<u32>,
    /// User metadata.
    pub metadata: Metadata,
    /// Creation time.
    pub created_at: Millis,
    /// Last update time.
    pub updated_at: Millis,
}

/// A signing secret that is still accepted by receivers until `expires_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetiredSecret {
    /// The sealed secret (see [`crate::secretbox`]).
    pub sealed: Vec<u8>,
    /// When the grace period after the rotation ends.
    pub expires_at: Millis,
}

/// A destination URL of an application.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// `ep_…`
    pub id: String,
    /// Owning application id.
    pub app_id: String,
    /// Optional user-chosen unique id within the app.
    pub uid: Option<String>,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Free text.
    pub description: String,
    /// Svix `version` (always 1 unless set).
    pub version: i32,
    /// Disabled endpoints receive nothing; their deliveries wait.
    pub disabled: bool,
    /// Event-type allow-list (`None` = all).
    pub event_types: Option<Vec<String>>,
    /// Channel filter (`None` = all).
    pub channels: Option<Vec<String>>,
    /// Messages/s limit.
    pub throttle_rate: Option<u32>,
    /// User metadata.
    pub metadata: Metadata,
    /// Extra headers sent with every delivery, sealed (see [`crate::secretbox`]): they
    /// often carry credentials for the receiver. Empty = no headers.
    pub headers: Vec<u8>,
    /// The current sealed signing secret.
    pub secret: Vec<u8>,
    /// Previous secrets still valid during a rotation grace period.
    pub retired_secrets: Vec<RetiredSecret>,
    /// Creation time.
    pub created_at: Millis,
    /// Last update time.
    pub updated_at: Millis,
}

/// An event type known to an organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct EventType {
    /// Owning organisation.
    pub org_id: String,
    /// Unique name within the org, e.g. `invoice.paid`.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Versioned JSON schemas (stored as given).
    pub schemas: Option<serde_json::Value>,
    /// Archived types are hidden from lists unless asked for.
    pub archived: bool,
    /// Deprecated flag (informational).
    pub deprecated: bool,
    /// Optional feature flag.
    pub feature_flag: Option<String>,
    /// Creation time.
    pub created_at: Millis,
    /// Last update time.
    pub updated_at: Millis,
}

/// One published event of an application. The payload is kept as the exact JSON text the
/// publisher sent, which is also the exact body delivered and signed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    /// `msg_…`
    pub id: String,
    /// Owning application id.
    pub app_id: String,
    /// Event type name.
    pub event_type: String,
    /// Publisher-chosen unique id (`eventId`), used for dedupe.
    pub event_id: Option<String>,
    /// Channels of the message.
    pub channels: Option<Vec<String>>,
    /// The payload text: JSON for published messages; for inbound ones, the request body
    /// exactly as received.
    pub payload: String,
    /// Set for messages received by a source: what the forwarder replays besides the body.
    pub inbound: Option<InboundMeta>,
    /// Publisher-chosen tags (`MessageIn.tags`), for filtering lists.
    pub tags: Option<Vec<String>>,
    /// The requested delivery time (`deliverAt`); deliveries are not due before it.
    pub deliver_at: Option<Millis>,
    /// When the payload was expunged (`DELETE …/msg/{id}/content`): `payload` is then
    /// empty, the inbound headers are gone, and the message can no longer be sent.
    pub expunged_at: Option<Millis>,
    /// When the payload is due to be removed by retention (`payloadRetentionPeriod`, or the
    /// server's default); `None` keeps it until expunged by hand.
    pub payload_expires_at: Option<Millis>,
    /// The W3C `traceparent` of the span that published the message, so that delivery
    /// attempts join the publish's trace; `None` when tracing was off.
    pub trace_context: Option<String>,
    /// Publication time.
    pub created_at: Millis,
}

/// How an inbound message arrived, so that forwarding can pass the provider's request on.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMeta {
    /// The request's `Content-Type` (forwarded instead of `application/json`).
    pub content_type: String,
    /// The provider's headers worth forwarding (hop-by-hop and credential headers removed),
    /// names lower-case, in the order received.
    pub headers: Vec<(String, String)>,
}

/// A source of inbound webhooks: an application whose messages come from a third party.
/// The source's endpoints are the endpoints of application `app_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// `src_…`
    pub id: String,
    /// Owning organisation.
    pub org_id: String,
    /// The application that holds the source's endpoints and messages.
    pub app_id: String,
    /// Optional user-chosen unique id within the org.
    pub uid: Option<String>,
    /// Display name.
    pub name: String,
    /// The Svix source type, e.g. `stripe`, `github`, `cron`.
    pub kind: String,
    /// The sealed configuration (provider secrets; see [`crate::secretbox`]).
    pub config: Vec<u8>,
    /// The sealed current ingest-URL token.
    pub token: Vec<u8>,
    /// User metadata.
    pub metadata: Metadata,
    /// Creation time.
    pub created_at: Millis,
    /// Last update time.
    pub updated_at: Millis,
}

/// An integration of an application (Svix's `svix.integration`): a named key, with the
/// feature flags it is granted, that the application's owner hands to a third party.
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    /// `integ_…`
    pub id: String,
    /// Owning application id.
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// Feature flags the key is granted.
    pub feature_flags: Vec<String>,
    /// The sealed key (`integsk_…`; see [`crate::secretbox`]).
    pub key: Vec<u8>,
    /// Creation time.
    pub created_at: Millis,
    /// Last update time.
    pub updated_at: Millis,
}

/// Status of a delivery or an attempt; the numbers are Svix's `MessageStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Delivered (a 2xx).
    Success = 0,
    /// Waiting for its next try.
    Pending = 1,
    /// Exhausted (or a manual try failed): the endpoint's dead-letter state.
    Fail = 2,
    /// Claimed by a dispatcher, in flight.
    Sending = 3,
}

impl DeliveryStatus {
    /// From the stored/API integer.
    pub fn from_i64(v: i64) -> Option<Self> {
        Some(match v {
            0 => Self::Success,
            1 => Self::Pending,
            2 => Self::Fail,
            3 => Self::Sending,
            _ => return None,
        })
    }

    /// The Svix `statusText`.
    pub fn text(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Pending => "pending",
            Self::Fail => "fail",
            Self::Sending => "sending",
        }
    }
}

/// Why a try happened; Svix's `MessageAttemptTriggerType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// By the retry schedule.
    Scheduled = 0,
    /// By a resend or recover.
    Manual = 1,
}

impl Trigger {
    /// From the stored/API integer.
    pub fn from_i64(v: i64) -> Self {
        if v == 1 {
            Self::Manual
        } else {
            Self::Scheduled
        }
    }
}

/// The queue entry: one message to one endpoint, with its state.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// `msgep_…`
    pub id: String,
    /// Message id.
    pub msg_id: String,
    /// Endpoint id.
    pub endpoint_id: String,
    /// Application id.
    pub app_id: String,
    /// Current state.
    pub status: DeliveryStatus,
    /// Tries made so far (all rounds).
    pub attempts: u32,
    /// Tries made in the current round (a recover starts a new round).
    pub round_attempts: u32,
    /// When the next try is due (pending) or the lease expires (sending); `None` when finished.
    pub next_attempt_at: Option<Millis>,
    /// What caused the current round.
    pub trigger: Trigger,
    /// Last state change.
    pub updated_at: Millis,
}

/// One try of a delivery: what was sent and what came back.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// `atmpt_…`
    pub id: String,
    /// Delivery this try belongs to.
    pub delivery_id: String,
    /// Message id.
    pub msg_id: String,
    /// Endpoint id.
    pub endpoint_id: String,
    /// Application id.
    pub app_id: String,
    /// URL the request went to.
    pub url: String,
    /// Response body (truncated) or an error description.
    pub response: String,
    /// HTTP status, 0 when no response was received.
    pub response_status_code: i32,
    /// Time from send to response.
    pub response_duration_ms: i64,
    /// Success or Fail.
    pub status: DeliveryStatus,
    /// Scheduled or Manual.
    pub trigger: Trigger,
    /// Error class name (see [`crate::retry::OutcomeClass`]).
    pub error_class: Option<String>,
    /// When the try was made.
    pub created_at: Millis,
}
