//! Attempt and delivery-status bodies: `MessageAttemptOut`, `EndpointMessageOut` (a message
//! with the state of its delivery to one endpoint) and `MessageEndpointOut` (an endpoint
//! with the state of one message's delivery to it).

use serde::Serialize;
use sluice_core::model::{Attempt, Delivery, DeliveryStatus, Endpoint, Message};

use super::endpoint::EndpointOut;
use super::message::MessageOut;
use super::ts;

/// A status as the API shows it. Without `expanded_statuses=true`, `sending` is reported
/// as `pending`, which is what older clients know.
pub fn shown_status(s: DeliveryStatus, expanded: bool) -> DeliveryStatus {
    if !expanded && s == DeliveryStatus::Sending {
        DeliveryStatus::Pending
    } else {
        s
    }
}

/// `MessageAttemptOut`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageAttemptOut {
    /// `atmpt_…`
    pub id: String,
    /// Message id.
    pub msg_id: String,
    /// Endpoint id.
    pub endpoint_id: String,
    /// URL the try went to.
    pub url: String,
    /// Response body (truncated) or error text; empty without content.
    pub response: String,
    /// HTTP status, 0 when none.
    pub response_status_code: i32,
    /// Duration in milliseconds.
    pub response_duration_ms: i64,
    /// `MessageStatus` number.
    pub status: i32,
    /// `MessageStatusText`.
    pub status_text: &'static str,
    /// 0 scheduled, 1 manual.
    pub trigger_type: i32,
    /// RFC 3339.
    pub timestamp: String,
    /// Sluice: the class of the try's outcome, which decided what happened next:
    /// `success`, `transient`, `throttled`, `gone`, `auth`, `blocked`, `tls` or `other`
    /// (`null` for attempts recorded before classes were stored).
    pub error_class: Option<String>,
    /// The message, when asked for (`with_msg=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg: Option<MessageOut>,
}

impl MessageAttemptOut {
    /// The wire form; `with_content=false` leaves out the response body.
    pub fn new(a: Attempt, with_content: bool, msg: Option<MessageOut>) -> Self {
        Self {
            id: a.id,
            msg_id: a.msg_id,
            endpoint_id: a.endpoint_id,
            url: crate::api::validation::url::shown(a.url),
            response: if with_content {
                a.response
            } else {
                String::new()
            },
            response_status_code: a.response_status_code,
            response_duration_ms: a.response_duration_ms,
            status: a.status as i32,
            status_text: a.status.text(),
            trigger_type: a.trigger as i32,
            timestamp: ts(a.created_at),
            error_class: a.error_class,
            msg,
        }
    }
}

/// `EndpointMessageOut`: a message plus its delivery state for one endpoint.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointMessageOut {
    /// The message, as `MessageOut` shows it.
    #[serde(flatten)]
    pub message: MessageOut,
    /// Delivery status number.
    pub status: i32,
    /// Delivery status text.
    pub status_text: &'static str,
    /// When the next try is due, if one is scheduled.
    pub next_attempt: Option<String>,
}

impl EndpointMessageOut {
    /// The wire form.
    pub fn new(m: Message, d: &Delivery, with_content: bool, expanded: bool) -> Self {
        let status = shown_status(d.status, expanded);
        Self {
            message: MessageOut::new(m, with_content),
            status: status as i32,
            status_text: status.text(),
            next_attempt: next_attempt(d),
        }
    }
}

/// `MessageEndpointOut`: an endpoint plus one message's delivery state for it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageEndpointOut {
    /// The endpoint, as `EndpointOut` shows it.
    #[serde(flatten)]
    pub endpoint: EndpointOut,
    /// Delivery status number.
    pub status: i32,
    /// Delivery status text.
    pub status_text: &'static str,
    /// When the next try is due, if one is scheduled.
    pub next_attempt: Option<String>,
}

impl MessageEndpointOut {
    /// The wire form (never includes the endpoint's secret).
    pub fn new(e: Endpoint, d: &Delivery, expanded: bool) -> Self {
        let status = shown_status(d.status, expanded);
        Self {
            endpoint: EndpointOut::from(e),
            status: status as i32,
            status_text: status.text(),
            next_attempt: next_attempt(d),
        }
    }
}

/// Only a pending delivery has a next try; for one in flight `next_attempt_at` is its lease.
fn next_attempt(d: &Delivery) -> Option<String> {
    (d.status == DeliveryStatus::Pending)
        .then_some(d.next_attempt_at)
        .flatten()
        .map(ts)
}
