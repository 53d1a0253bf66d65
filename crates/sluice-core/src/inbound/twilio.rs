//! Twilio (signatures.md §7).
//!
//! `X-Twilio-Signature: <base64 HMAC-SHA1(auth token, data)>` where `data` is the full URL
//! Twilio requested, followed for a form-encoded POST by every parameter as `name || value`
//! (no separators) sorted by name, then value — duplicates of one (name, value) counted once,
//! as twilio-python's `sorted(set(...))` does. For a JSON body Twilio adds
//! `bodySHA256=<hex sha256(body)>` to the URL, signs the URL alone, and the body is checked
//! against that hash (constant-time) after the signature.
//!
//! Port quirk (twilio-python `validate`): the signature may cover the URL without its
//! port or with it (the scheme's default added when absent); both are tried.
//! The URL must be the public one Twilio called, so the server passes its configured
//! public URL, not what a TLS-terminating proxy forwarded.
//!
//! No timestamp. Dedupe id: `I-Twilio-Idempotency-Token` when sent (Twilio's documentation
//! does not promise it). No event type.

use std::collections::BTreeSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::common::{
    ct_eq_str, find_secret, header, query_of, require_header, require_method, require_secrets,
    HmacSha1,
};
use super::{Rejection, Request, Verdict};

const SIGNATURE: &str = "x-twilio-signature";

/// Verifies a Twilio request (`GET` webhooks carry their parameters in the URL only).
pub fn verify(auth_tokens: &[String], req: &Request<'_>) -> Result<Verdict, Rejection> {
    require_method(req, &["POST", "GET"])?;
    require_secrets(auth_tokens)?;
    let tag = STANDARD
        .decode(require_header(req, SIGNATURE)?)
        .map_err(|_| Rejection::MalformedHeader(SIGNATURE))?;

    let body_hash = form_urlencoded::parse(query_of(req.url).as_bytes())
        .find(|(k, _)| k == "bodySHA256")
        .map(|(_, v)| v.into_owned());
    let is_form = header(req, "content-type").is_some_and(|ct| {
        ct.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    // A BTreeSet sorts by (name, value) byte order — Python's code-point order — and
    // counts a repeated identical pair once.
    let params: BTreeSet<(String, String)> =
        if body_hash.is_none() && is_form && req.method.eq_ignore_ascii_case("POST") {
            form_urlencoded::parse(req.body).into_owned().collect()
        } else {
            BTreeSet::new()
        };
    let mut suffix = String::new();
    for (name, value) in &params {
        suffix.push_str(name);
        suffix.push_str(value);
    }

    let tags = [tag];
    let signed = url_variants(req.url).iter().any(|url| {
        find_secret::<HmacSha1>(auth_tokens, &[url.as_bytes(), suffix.as_bytes()], &tags).is_some()
    });
    if !signed {
        return Err(Rejection::BadSignature);
    }
    if let Some(expected) = body_hash {
        let actual = hex::encode(Sha256::digest(req.body));
        if !ct_eq_str(&actual, &expected) {
            return Err(Rejection::BadBodyHash);
        }
    }
    let event_id = header(req, "i-twilio-idempotency-token")
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    Ok(Verdict::verified(event_id, None))
}

/// The URL without its port and with a port (as given, or the scheme's default), the
/// two spellings twilio-python accepts.
fn url_variants(url: &str) -> [String; 2] {
    let Some(scheme_end) = url.find("://") else {
        return [url.to_owned(), url.to_owned()];
    };
    let start = scheme_end + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let authority = &url[start..end];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host_port = &authority[host_start..];
    // An IPv6 literal's colons are inside brackets; the port is after `]:`.
    let colon = if host_port.starts_with('[') {
        host_port.find("]:").map(|i| i + 1)
    } else {
        host_port.rfind(':')
    };
    let port = colon
        .map(|c| &host_port[c + 1..])
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    match (colon, port) {
        (Some(c), Some(_)) => {
            let cut = start + host_start + c;
            [format!("{}{}", &url[..cut], &url[end..]), url.to_owned()]
        }
        _ => {
            let default = if url[..scheme_end].eq_ignore_ascii_case("https") {
                ":443"
            } else {
                ":80"
            };
            [
                url.to_owned(),
                format!("{}{default}{}", &url[..end], &url[end..]),
            ]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_variants;

    #[test]
    fn url_variants_strip_or_add_the_port() {
        assert_eq!(
            url_variants("https://a.com:1234/p?x=1"),
            [
                "https://a.com/p?x=1".to_owned(),
                "https://a.com:1234/p?x=1".to_owned()
            ]
        );
        assert_eq!(
            url_variants("http://a.com/p"),
            ["http://a.com/p".to_owned(), "http://a.com:80/p".to_owned()]
        );
        assert_eq!(
            url_variants("https://u:pw@a.com?q"),
            [
                "https://u:pw@a.com?q".to_owned(),
                "https://u:pw@a.com:443?q".to_owned()
            ]
        );
        assert_eq!(
            url_variants("https://[::1]:8443/x"),
            [
                "https://[::1]/x".to_owned(),
                "https://[::1]:8443/x".to_owned()
            ]
        );
    }
}
