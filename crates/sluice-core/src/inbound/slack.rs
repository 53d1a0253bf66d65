//! Slack (signatures.md §6).
//!
//! `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:" ts ":" body)>` with
//! `X-Slack-Request-Timestamp: <unix s>`. Tolerance ±[`TOLERANCE_SECS`], both directions as
//! the Python SDK checks (`abs(now - ts) > 300`).
//!
//! Bodies are JSON (Events API) or form-encoded (slash commands; interactivity sends a
//! `payload=<json>` field). A signed `url_verification` event is a handshake: it is answered
//! with its `challenge` as text/plain, which Slack accepts. The challenge is only answered
//! after the signature, so an outsider cannot learn whether the URL is live.
//!
//! Dedupe id: body `event_id` (Events API; kept across Slack's retries). Event type: the
//! inner `event.type`, else the outer `type`; for slash commands the `command`, for
//! interactivity the payload's `type`.

use super::common::{json, text_at, verify_v0};
use super::{Rejection, Request, Verdict};

/// Slack's replay window: five minutes either way.
pub const TOLERANCE_SECS: i64 = 300;

const SIGNATURE: &str = "x-slack-signature";
const TIMESTAMP: &str = "x-slack-request-timestamp";

/// Verifies a Slack request, answering `url_verification`.
pub fn verify(secrets: &[String], req: &Request<'_>) -> Result<Verdict, Rejection> {
    verify_v0(secrets, req, SIGNATURE, TIMESTAMP, TOLERANCE_SECS)?;

    if let Some(body) = json(req.body).filter(serde_json::Value::is_object) {
        if text_at(&body, "/type").as_deref() == Some("url_verification") {
            let challenge =
                text_at(&body, "/challenge").ok_or(Rejection::MalformedBody("challenge"))?;
            return Ok(Verdict::Handshake {
                status: 200,
                content_type: "text/plain; charset=utf-8",
                body: challenge.into_bytes(),
            });
        }
        let event_type = text_at(&body, "/event/type").or_else(|| text_at(&body, "/type"));
        return Ok(Verdict::verified(text_at(&body, "/event_id"), event_type));
    }
    Ok(Verdict::verified(None, form_event_type(req.body)))
}

/// The type of a form-encoded Slack request: slash command name or interactivity type.
fn form_event_type(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body).find_map(|(k, v)| match &*k {
        "command" => Some(v.into_owned()).filter(|c| !c.is_empty()),
        "payload" => json(v.as_bytes()).and_then(|p| text_at(&p, "/type")),
        _ => None,
    })
}
