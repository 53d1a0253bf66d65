//! Shopify (signatures.md §5).
//!
//! `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(client secret, body)>`; the newer Events
//! product sends the same value unprefixed as `shopify-hmac-sha256`. Shopify keeps signing
//! with the old secret for up to an hour after a rotation, which the secrets list covers.
//!
//! No signed timestamp (`X-Shopify-Triggered-At` is unsigned, so it is not trusted for
//! freshness). Dedupe id: `X-Shopify-Webhook-Id` — the delivery id Shopify keeps across
//! retries and that its app libraries call the idempotency key — falling back to
//! `X-Shopify-Event-Id`. The webhook id is preferred because it is per subscription: the
//! event id is shared by every webhook one event triggers, and deduplicating on it could
//! drop a genuinely distinct delivery. Event type: `X-Shopify-Topic`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::common::{find_secret, first_header, require_method, require_secrets, HmacSha256};
use super::{Rejection, Request, Verdict};

const SIGNATURE: &str = "x-shopify-hmac-sha256";

/// Verifies a Shopify request.
pub fn verify(secrets: &[String], req: &Request<'_>) -> Result<Verdict, Rejection> {
    require_method(req, &["POST"])?;
    require_secrets(secrets)?;
    let value = first_header(req, &[SIGNATURE, "shopify-hmac-sha256"])
        .ok_or(Rejection::MissingHeader(SIGNATURE))?;
    let tag = STANDARD
        .decode(value)
        .map_err(|_| Rejection::MalformedHeader(SIGNATURE))?;
    find_secret::<HmacSha256>(secrets, &[req.body], &[tag]).ok_or(Rejection::BadSignature)?;

    let event_id = first_header(
        req,
        &[
            "x-shopify-webhook-id",
            "shopify-webhook-id",
            "x-shopify-event-id",
            "shopify-event-id",
        ],
    );
    let event_type = first_header(req, &["x-shopify-topic", "shopify-topic"]);
    Ok(Verdict::verified(
        event_id.map(str::to_owned),
        event_type.map(str::to_owned),
    ))
}
