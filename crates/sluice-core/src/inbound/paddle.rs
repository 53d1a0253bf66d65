//! Paddle Billing (signatures.md §8.1).
//!
//! `Paddle-Signature: ts=<unix s>;h1=<hex>[;h1=<hex>…]`; each `h1` is hex
//! HMAC-SHA256(endpoint secret key as UTF-8, `ts ":" body`). `h1` repeats during a secret
//! rotation and any one matching suffices (the Node SDK keeps only the last one, which
//! is a bug not to copy). Unknown keys are ignored for forward compatibility, as Stripe's
//! libraries do (the Python SDK raises instead).
//!
//! Tolerance: the SDKs default to 5 s past-only. Five seconds rejects genuine deliveries
//! whenever Paddle's queue, the network or a clock is a few seconds off, and a retried
//! delivery is re-signed anyway, so Sluice defaults to [`DEFAULT_TOLERANCE_SECS`] (the
//! window Stripe, Slack and Standard Webhooks use) and bounds both directions, so that a
//! request signed for a future time cannot be held back and replayed later.
//!
//! Dedupe id: body `event_id` (`evt_…`). Event type: body `event_type`.

use super::common::{
    check_window, find_secret, json, parse_unix, require_header, require_method, require_secrets,
    text_at, timestamped_tags, HmacSha256,
};
use super::{Rejection, Request, Verdict};

/// Sluice's default Paddle tolerance, both directions (see the module docs for why not 5 s).
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

const HEADER: &str = "paddle-signature";

/// Verifies a Paddle Billing request.
pub fn verify(
    secrets: &[String],
    tolerance_secs: i64,
    req: &Request<'_>,
) -> Result<Verdict, Rejection> {
    require_method(req, &["POST"])?;
    require_secrets(secrets)?;
    let value = require_header(req, HEADER)?;

    let (ts_text, tags) = timestamped_tags(value, ';', "ts", "h1", HEADER)?;
    let ts = parse_unix(ts_text, HEADER)?;
    let parts: [&[u8]; 3] = [ts_text.as_bytes(), b":", req.body];
    find_secret::<HmacSha256>(secrets, &parts, &tags).ok_or(Rejection::BadSignature)?;
    check_window(ts, req.now, tolerance_secs, Some(tolerance_secs))?;

    let body = json(req.body);
    let field = |p| body.as_ref().and_then(|v| text_at(v, p));
    Ok(Verdict::verified(field("/event_id"), field("/event_type")))
}
