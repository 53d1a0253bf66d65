//! Zoom (signatures.md §8.3).
//!
//! `x-zm-signature: v0=<hex HMAC-SHA256(secret token, "v0:" ts ":" body)>` with
//! `x-zm-request-timestamp: <unix s>`. Zoom mandates no window; Sluice uses
//! ±[`TOLERANCE_SECS`], the common choice and the same as Slack's identical scheme.
//!
//! `endpoint.url_validation` is answered with `{plainToken, encryptedToken = hex
//! HMAC-SHA256(secret, plainToken)}` **only after the request's own signature verified**:
//! answering unsigned challenges would hand anyone an HMAC oracle, and a `plainToken` of
//! `v0:<ts>:<body>` would then yield a valid signature for a forged event. The answer
//! uses the secret that verified the request, i.e. the one Zoom holds, even mid-rotation.
//!
//! Dedupe id: none. Zoom documents none, and `event` + `event_ts` can collide between two
//! meetings, so the event is deduplicated on the SHA-256 of its body
//! ([`super::content_key`]): a byte-identical redelivery is dropped and distinct events
//! never are. Event type: body `event`.

use super::common::{hmac_sha256_hex, json, text_at, verify_v0};
use super::{Rejection, Request, Verdict};

/// Sluice's replay window for Zoom: five minutes either way.
pub const TOLERANCE_SECS: i64 = 300;

const SIGNATURE: &str = "x-zm-signature";
const TIMESTAMP: &str = "x-zm-request-timestamp";

/// Verifies a Zoom request, answering `endpoint.url_validation`.
pub fn verify(secrets: &[String], req: &Request<'_>) -> Result<Verdict, Rejection> {
    let secret = verify_v0(secrets, req, SIGNATURE, TIMESTAMP, TOLERANCE_SECS)?;

    let body = json(req.body);
    let event_type = body.as_ref().and_then(|v| text_at(v, "/event"));
    if event_type.as_deref() == Some("endpoint.url_validation") {
        let plain = body
            .as_ref()
            .and_then(|v| text_at(v, "/payload/plainToken"))
            .ok_or(Rejection::MalformedBody("payload.plainToken"))?;
        let encrypted = hmac_sha256_hex(secret.as_bytes(), plain.as_bytes());
        let answer = serde_json::json!({ "plainToken": plain, "encryptedToken": encrypted });
        return Ok(Verdict::Handshake {
            status: 200,
            content_type: "application/json",
            body: answer.to_string().into_bytes(),
        });
    }
    Ok(Verdict::verified(None, event_type))
}
