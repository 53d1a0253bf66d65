//! `generic-webhook`: senders that do not sign. The source URL's unguessable token is the
//! baseline; optionally the sender must also present one of the configured credentials
//! (HTTP Basic, a Bearer token, or a fixed header), compared in constant time.
//!
//! Dedupe id: the configured header, else the configured JSON pointer into the body,
//! else none, and the event is deduplicated on its method, query and body
//! ([`super::content_key`]). There is no event type.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::common::{ct_eq_bytes, ct_eq_str, header, json, require_method, text_at};
use super::{GenericAuth, Rejection, Request, Verdict};

/// Verifies a `generic-webhook` request.
pub fn verify(
    auth: &[GenericAuth],
    id_header: Option<&str>,
    id_json_pointer: Option<&str>,
    req: &Request<'_>,
) -> Result<Verdict, Rejection> {
    require_method(req, &["POST", "PUT", "PATCH"])?;
    if !auth.is_empty() {
        check_auth(auth, req)?;
    }
    let from_header = id_header
        .and_then(|name| header(req, name))
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let event_id = from_header.or_else(|| {
        let pointer = id_json_pointer?;
        text_at(&json(req.body)?, pointer)
    });
    Ok(Verdict::verified(event_id, None))
}

/// Passes when any configured credential is presented. "Nothing presented" and "something
/// wrong presented" are told apart for the rejection metrics.
fn check_auth(auth: &[GenericAuth], req: &Request<'_>) -> Result<(), Rejection> {
    let authorization = header(req, "authorization");
    let mut presented = false;
    for cred in auth {
        let ok = match cred {
            GenericAuth::Basic { username, password } => {
                let Some(token) = authorization.and_then(|v| strip_scheme(v, "basic")) else {
                    continue;
                };
                presented = true;
                // Compare the decoded `user:pass` so that base64 padding variants of the
                // same credentials are equal.
                let decoded = STANDARD.decode(token).unwrap_or_default();
                ct_eq_bytes(&decoded, format!("{username}:{password}").as_bytes())
            }
            GenericAuth::Bearer { token } => {
                let Some(given) = authorization.and_then(|v| strip_scheme(v, "bearer")) else {
                    continue;
                };
                presented = true;
                ct_eq_str(given, token)
            }
            GenericAuth::Header { name, value } => {
                let Some(given) = header(req, name) else {
                    continue;
                };
                presented = true;
                ct_eq_str(given, value)
            }
        };
        if ok {
            return Ok(());
        }
    }
    Err(if presented {
        Rejection::BadToken
    } else {
        Rejection::MissingCredentials
    })
}

/// `"Bearer abc"` → `"abc"` for scheme `bearer` (auth schemes are case-insensitive).
fn strip_scheme<'v>(value: &'v str, scheme: &str) -> Option<&'v str> {
    let (given, rest) = value.split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then(|| rest.trim())
        .filter(|r| !r.is_empty())
}
