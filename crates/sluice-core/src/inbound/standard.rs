//! Standard Webhooks v1/v1a and the Svix-branded senders (Svix, Clerk, Resend, …)
//! (signatures.md §1, §2).
//!
//! Headers `webhook-id`, `webhook-timestamp`, `webhook-signature`, or the same with the
//! `svix-` prefix; signed content `{id}.{timestamp}.{body}`; a space-separated list of
//! `v1,<base64 HMAC-SHA256>` / `v1a,<base64 Ed25519>` tokens. The cryptography is
//! [`crate::signing::verify`], the same code that signs outbound messages.
//!
//! Tolerance: ±[`crate::signing::TOLERANCE_SECS`] (the reference libraries check both
//! directions). Dedupe id: the message id header. Event type: the body's `type`.

use super::common::{check_window, json, parse_unix, require_header, require_method, text_at};
use super::{Rejection, Request, Verdict};
use crate::signing::{self, SignatureError, VerifyingKey};

/// One family of header names; a request's headers are all taken from the same family.
struct Names {
    id: &'static str,
    timestamp: &'static str,
    signature: &'static str,
}

const WEBHOOK: Names = Names {
    id: "webhook-id",
    timestamp: "webhook-timestamp",
    signature: "webhook-signature",
};
const SVIX: Names = Names {
    id: "svix-id",
    timestamp: "svix-timestamp",
    signature: "svix-signature",
};

/// Verifies a Standard Webhooks / Svix request with `whsec_` secrets or `whpk_` keys.
pub fn verify(secrets: &[String], req: &Request<'_>) -> Result<Verdict, Rejection> {
    require_method(req, &["POST"])?;
    // A secret that does not parse cannot verify anything; validate() refuses it at
    // creation, so here it is only skipped.
    let keys: Vec<VerifyingKey> = secrets
        .iter()
        .filter_map(|s| VerifyingKey::parse(s).ok())
        .collect();
    if keys.is_empty() {
        return Err(Rejection::Misconfigured("no valid whsec_/whpk_ secret"));
    }
    // Svix sends `svix-*` unless white-labelled to `webhook-*`. Mixing families within
    // one request is never legitimate, so pick the family by its signature header.
    let names = if super::common::header(req, SVIX.signature).is_some() {
        &SVIX
    } else {
        &WEBHOOK
    };
    let id = require_header(req, names.id)?;
    let ts_text = require_header(req, names.timestamp)?;
    let signatures = require_header(req, names.signature)?;
    let ts = parse_unix(ts_text, names.timestamp)?;

    // `signing::verify` checks the window itself; giving it `now = ts` makes that check
    // pass trivially so the window is checked below, after the signature, where a
    // failure means "genuine but stale" rather than "forged".
    signing::verify(&keys, id, ts_text, signatures, req.body, ts, 0).map_err(|e| match e {
        SignatureError::InvalidTimestamp => Rejection::MalformedHeader(names.timestamp),
        _ => Rejection::BadSignature,
    })?;
    let tolerance = signing::TOLERANCE_SECS;
    check_window(ts, req.now, tolerance, Some(tolerance))?;

    let event_type = json(req.body).and_then(|v| text_at(&v, "/type"));
    Ok(Verdict::verified(Some(id.to_owned()), event_type))
}
