//! What every verifier shares: header lookup, the constant-time MAC and token checks, the
//! timestamp window, and reading fields out of an already verified body.
//!
//! All secret-dependent comparisons in `inbound` go through [`find_secret`] (MACs,
//! `hmac::Mac::verify_slice`) or [`ct_eq_str`] / [`ct_eq_bytes`] (tokens, `subtle`), so a
//! reviewer has three places to check.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Rejection, Request};

/// HMAC-SHA256, the MAC of almost every scheme.
pub type HmacSha256 = Hmac<Sha256>;
/// HMAC-SHA1, Twilio's MAC.
pub type HmacSha1 = Hmac<sha1::Sha1>;

/// The value of the first header called `name` (case-insensitive), if any.
pub fn header<'r>(req: &Request<'r>, name: &str) -> Option<&'r str> {
    req.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// The first of several header names present with a non-empty value.
pub fn first_header<'r>(req: &Request<'r>, names: &[&str]) -> Option<&'r str> {
    names
        .iter()
        .find_map(|n| header(req, n).filter(|v| !v.is_empty()))
}

/// A header the scheme cannot do without; absent or empty is [`Rejection::MissingHeader`].
pub fn require_header<'r>(req: &Request<'r>, name: &'static str) -> Result<&'r str, Rejection> {
    header(req, name)
        .filter(|v| !v.is_empty())
        .ok_or(Rejection::MissingHeader(name))
}

/// Refuses anything but the listed methods (the providers using this only ever POST).
pub fn require_method(req: &Request<'_>, allowed: &[&str]) -> Result<(), Rejection> {
    if allowed.iter().any(|m| req.method.eq_ignore_ascii_case(m)) {
        Ok(())
    } else {
        Err(Rejection::MethodNotAllowed)
    }
}

/// Fails with [`Rejection::Misconfigured`] when no secret is usable, so that a source
/// saved without secrets rejects everything instead of verifying with an empty key.
pub fn require_secrets(secrets: &[String]) -> Result<(), Rejection> {
    if secrets.iter().any(|s| !s.is_empty()) {
        Ok(())
    } else {
        Err(Rejection::Misconfigured("no secret configured"))
    }
}

/// The first secret whose MAC over the concatenation of `parts` equals one of `tags`.
///
/// `verify_slice` compares in constant time and only accepts a tag of the MAC's full
/// length, so an empty or truncated tag never matches. Empty secrets are skipped: an empty
/// key is public knowledge. Returning the secret lets a handshake answer with the key
/// that the provider itself used (Zoom after a rotation).
pub fn find_secret<'s, M>(
    secrets: &'s [String],
    parts: &[&[u8]],
    tags: &[Vec<u8>],
) -> Option<&'s str>
where
    M: Mac + KeyInit + Clone,
{
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .find(|secret| {
            let mut mac = <M as Mac>::new_from_slice(secret.as_bytes())
                .expect("HMAC accepts keys of any length");
            for part in parts {
                mac.update(part);
            }
            tags.iter().any(|tag| mac.clone().verify_slice(tag).is_ok())
        })
        .map(String::as_str)
}

/// The `v0:{timestamp}:{body}` scheme Slack and Zoom share: `v0=<hex HMAC-SHA256>` in
/// `signature_header`, unix seconds in `timestamp_header` (signed exactly as sent), and a
/// window of `tolerance_secs` either way, checked after the signature so that a stale but
/// genuine request reads as a replay rather than a forgery. Returns the secret that verified.
pub fn verify_v0<'s>(
    secrets: &'s [String],
    req: &Request<'_>,
    signature_header: &'static str,
    timestamp_header: &'static str,
    tolerance_secs: i64,
) -> Result<&'s str, Rejection> {
    require_method(req, &["POST"])?;
    require_secrets(secrets)?;
    let signature = require_header(req, signature_header)?;
    let ts_text = require_header(req, timestamp_header)?;
    let ts = parse_unix(ts_text, timestamp_header)?;
    let tag = signature
        .strip_prefix("v0=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(Rejection::MalformedHeader(signature_header))?;
    let parts: [&[u8]; 4] = [b"v0:", ts_text.as_bytes(), b":", req.body];
    let secret =
        find_secret::<HmacSha256>(secrets, &parts, &[tag]).ok_or(Rejection::BadSignature)?;
    check_window(ts, req.now, tolerance_secs, Some(tolerance_secs))?;
    Ok(secret)
}

/// Lowercase hex HMAC-SHA256 of `msg` (handshake answers).
pub fn hmac_sha256_hex(key: &[u8], msg: &[u8]) -> String {
    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(msg);
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time equality of two tokens that does not leak the expected token's length
/// either: both sides are hashed first, then the digests are compared with `subtle`.
pub fn ct_eq_str(presented: &str, expected: &str) -> bool {
    ct_eq_bytes(presented.as_bytes(), expected.as_bytes())
}

/// [`ct_eq_str`] on bytes.
pub fn ct_eq_bytes(presented: &[u8], expected: &[u8]) -> bool {
    Sha256::digest(presented)
        .as_slice()
        .ct_eq(Sha256::digest(expected).as_slice())
        .into()
}

/// Parses a Unix-seconds timestamp: ASCII digits only (no sign, space or fraction), so
/// that the value checked is exactly the text that was signed.
pub fn parse_unix(value: &str, header: &'static str) -> Result<i64, Rejection> {
    if value.is_empty() || value.len() > 18 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Rejection::MalformedHeader(header));
    }
    value
        .parse()
        .map_err(|_| Rejection::MalformedHeader(header))
}

/// Checks a signed timestamp against `now` (same unit): older than `past` is stale; with
/// `future = Some(f)`, more than `f` ahead is rejected too. Saturating, so a hostile value
/// cannot overflow.
/// Parses a `t=…,v1=…`-style signature header (Stripe's, Paddle's): the first `ts_key` entry
/// and every `tag_key` entry, hex-decoded. A tag that is not hex cannot match and is skipped
/// rather than failing the list. Errors when either key is absent altogether.
pub fn timestamped_tags<'v>(
    value: &'v str,
    separator: char,
    ts_key: &str,
    tag_key: &str,
    header: &'static str,
) -> Result<(&'v str, Vec<Vec<u8>>), Rejection> {
    let mut ts = None;
    let mut saw_tag = false;
    let mut tags = Vec::new();
    for item in value.split(separator) {
        let Some((key, val)) = item.trim().split_once('=') else {
            continue;
        };
        // The first timestamp counts (as stripe-python takes it); a second could only make
        // the signature fail.
        if key == ts_key && ts.is_none() {
            ts = Some(val);
        } else if key == tag_key {
            saw_tag = true;
            tags.extend(hex::decode(val).ok());
        }
    }
    match ts {
        Some(ts) if saw_tag => Ok((ts, tags)),
        _ => Err(Rejection::MalformedHeader(header)),
    }
}

pub fn check_window(ts: i64, now: i64, past: i64, future: Option<i64>) -> Result<(), Rejection> {
    let age = now.saturating_sub(ts);
    if age > past {
        return Err(Rejection::StaleTimestamp);
    }
    match future {
        Some(f) if age < f.saturating_neg() => Err(Rejection::FutureTimestamp),
        _ => Ok(()),
    }
}

/// The body as JSON, if it is JSON. Called only after verification.
pub fn json(body: &[u8]) -> Option<serde_json::Value> {
    serde_json::from_slice(body).ok()
}

/// A string (or number, as its decimal text) at `pointer` in `value`.
pub fn text_at(value: &serde_json::Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A dedupe id for schemes without an event id: the SHA-256 of the exact body. A
/// byte-identical redelivery is a duplicate; two distinct events never share it.
pub fn body_digest(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

/// The query part of a URL (after `?`, before `#`), empty if there is none.
pub fn query_of(url: &str) -> &str {
    let url = url.split('#').next().unwrap_or_default();
    url.split_once('?').map(|(_, q)| q).unwrap_or_default()
}
