//! GitHub (signatures.md §4).
//!
//! `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`. The legacy SHA-1
//! `X-Hub-Signature` is not accepted: GitHub sends both whenever a secret is set, and
//! accepting the weaker one alone would only open a downgrade.
//!
//! No timestamp: replay protection is dedupe on `X-GitHub-Delivery`, which GitHub keeps
//! on redelivery. Event type: `X-GitHub-Event`. Both headers are unsigned, which is the
//! scheme's limit: a replayer could vary the delivery id, but only of a genuine body.

use super::common::{
    find_secret, header, require_header, require_method, require_secrets, HmacSha256,
};
use super::{Rejection, Request, Verdict};

const SIGNATURE: &str = "x-hub-signature-256";

/// Verifies a GitHub request.
pub fn verify(secrets: &[String], req: &Request<'_>) -> Result<Verdict, Rejection> {
    require_method(req, &["POST"])?;
    check_hub_signature_256(secrets, req)?;
    let owned = |name| {
        header(req, name)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Ok(Verdict::verified(
        owned("x-github-delivery"),
        owned("x-github-event"),
    ))
}

/// `X-Hub-Signature-256: sha256=<hex>` over the raw body; shared with Meta, which uses
/// the same header and MAC with its app secret.
pub(super) fn check_hub_signature_256(
    secrets: &[String],
    req: &Request<'_>,
) -> Result<(), Rejection> {
    require_secrets(secrets)?;
    let value = require_header(req, SIGNATURE)?;
    // The prefix is exact ("always starts with `sha256=`"); octokit compares it literally.
    let tag = value
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(Rejection::MalformedHeader(SIGNATURE))?;
    find_secret::<HmacSha256>(secrets, &[req.body], &[tag])
        .map(|_| ())
        .ok_or(Rejection::BadSignature)
}
