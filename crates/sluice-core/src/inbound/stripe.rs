//! Stripe (signatures.md §3).
//!
//! `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>…][,v0=<hex>]`; each `v1` is
//! hex HMAC-SHA256(key = the whole `whsec_…` string as UTF-8 — not base64-decoded, unlike
//! Standard Webhooks — msg = `t "." body`). Several `v1` entries appear while Stripe rolls
//! a secret; any one matching suffices. `v0` is a deliberately fake scheme in test mode and
//! other keys are ignored, as Stripe's libraries do.
//!
//! Tolerance: like the official libraries, only the past is bounded (`now - t >
//! tolerance` is stale); a future `t` can only come from Stripe's own clock.
//! Dedupe id: body `id` (`evt_…`). Event type: body `type`.

use super::common::{
    check_window, find_secret, json, parse_unix, require_header, require_method, require_secrets,
    text_at, timestamped_tags, HmacSha256,
};
use super::{Rejection, Request, Verdict};

/// The official libraries' default tolerance (`DEFAULT_TOLERANCE = 300`).
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

const HEADER: &str = "stripe-signature";

/// Verifies a Stripe request.
pub fn verify(
    secrets: &[String],
    tolerance_secs: i64,
    req: &Request<'_>,
) -> Result<Verdict, Rejection> {
    require_method(req, &["POST"])?;
    require_secrets(secrets)?;
    let value = require_header(req, HEADER)?;

    let (t, tags) = timestamped_tags(value, ',', "t", "v1", HEADER)?;
    let t = parse_unix(t, HEADER)?;
    // The libraries sign the re-formatted integer (`"%d.%s"`), which `parse_unix` makes
    // identical to the header text.
    let t_text = t.to_string();
    find_secret::<HmacSha256>(secrets, &[t_text.as_bytes(), b".", req.body], &tags)
        .ok_or(Rejection::BadSignature)?;
    check_window(t, req.now, tolerance_secs, None)?;

    let body = json(req.body);
    let field = |p| body.as_ref().and_then(|v| text_at(v, p));
    Ok(Verdict::verified(field("/id"), field("/type")))
}
