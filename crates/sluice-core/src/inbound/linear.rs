//! Linear (signatures.md §8.4).
//!
//! `Linear-Signature: <hex HMAC-SHA256(signing secret, body)>`, no prefix. Freshness comes
//! from the **signed** body field `webhookTimestamp` (Unix milliseconds), which must be
//! within ±[`TOLERANCE_MS`] of now. As in `@linear/sdk` since PR #1268, a body without a
//! finite `webhookTimestamp` is refused: skipping the check allowed replays. `now` is in
//! whole seconds, so the effective window is up to one second wider towards the future.
//!
//! Dedupe id: `Linear-Delivery`. Event type: from the signed body, `{type}.{action}`
//! (e.g. `Issue.create`), else `type`, else the `Linear-Event` header.

use super::common::{
    check_window, find_secret, header, json, require_header, require_method, require_secrets,
    text_at, HmacSha256,
};
use super::{Rejection, Request, Verdict};

/// Linear's window on `webhookTimestamp`: one minute either way.
pub const TOLERANCE_MS: i64 = 60_000;

const SIGNATURE: &str = "linear-signature";

/// Verifies a Linear request.
pub fn verify(secrets: &[String], req: &Request<'_>) -> Result<Verdict, Rejection> {
    require_method(req, &["POST"])?;
    require_secrets(secrets)?;
    let tag = hex::decode(require_header(req, SIGNATURE)?)
        .map_err(|_| Rejection::MalformedHeader(SIGNATURE))?;
    find_secret::<HmacSha256>(secrets, &[req.body], &[tag]).ok_or(Rejection::BadSignature)?;

    let body = json(req.body).ok_or(Rejection::MalformedBody("not JSON"))?;
    let ts_ms = match body.get("webhookTimestamp") {
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        _ => None,
    }
    .ok_or(Rejection::MalformedBody("webhookTimestamp"))?;
    check_window(
        ts_ms,
        req.now.saturating_mul(1000),
        TOLERANCE_MS,
        Some(TOLERANCE_MS),
    )?;

    let event_type = match (text_at(&body, "/type"), text_at(&body, "/action")) {
        (Some(t), Some(a)) => Some(format!("{t}.{a}")),
        (Some(t), None) => Some(t),
        _ => header(req, "linear-event")
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
    };
    let event_id = header(req, "linear-delivery")
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    Ok(Verdict::verified(event_id, event_type))
}
