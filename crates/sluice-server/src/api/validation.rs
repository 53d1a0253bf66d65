//! Field rules shared by the routes. Each check adds to a [`Problems`] list so one 422 can
//! report every bad field of a body at once, as Svix does.

use sluice_core::filter::validate_identifier;

use super::error::{ApiError, ApiResult, ValidationItem};

/// Collected validation failures of one request.
#[derive(Debug, Default)]
pub struct Problems(Vec<ValidationItem>);

impl Problems {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a failure of `field` (located under `body`).
    pub fn add(&mut self, field: &str, msg: impl Into<String>) {
        self.0.push(ValidationItem::new(&["body", field], msg));
    }

    /// Records `result`'s error, if any, against `field`.
    pub fn check(&mut self, field: &str, result: Result<(), String>) {
        if let Err(msg) = result {
            self.add(field, msg);
        }
    }

    /// `Ok` when nothing was recorded, else the 422.
    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation_items(self.0))
        }
    }
}

/// An absolute `http` or `https` URL with a host.
pub fn url(s: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(s).map_err(|e| format!("invalid URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("URL scheme must be http or https".into());
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("URL must have a host".into());
    }
    Ok(())
}

/// A user-chosen uid: an identifier that cannot be mistaken for a generated id of
/// `id_prefix` (lookups accept either, so an id-shaped uid would be ambiguous).
pub fn uid(s: &str, id_prefix: &str) -> Result<(), String> {
    validate_identifier(s, false)?;
    if s.starts_with(&format!("{id_prefix}_")) {
        return Err(format!("uid must not start with '{id_prefix}_'"));
    }
    Ok(())
}

/// An event type name.
pub fn event_type_name(s: &str) -> Result<(), String> {
    validate_identifier(s, false)
}

/// A channel list of 1..=`max` valid channel names.
pub fn channels(list: &[String], max: usize) -> Result<(), String> {
    if list.is_empty() || list.len() > max {
        return Err(format!("must hold between 1 and {max} channels"));
    }
    for c in list {
        validate_identifier(c, true).map_err(|e| format!("channel {c:?}: {e}"))?;
    }
    Ok(())
}

/// Header names a user may not set on deliveries: hop-by-hop headers, ones the HTTP client
/// computes, and the signature headers (which would let a user forge or break signatures).
const FORBIDDEN_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// Checks a custom delivery header: a valid, allowed name and a valid value.
pub fn header(name: &str, value: &str) -> Result<(), String> {
    if axum::http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("{name:?} is not a valid header name"));
    }
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN_HEADERS.contains(&lower.as_str())
        || lower.starts_with("webhook-")
        || lower.starts_with("svix-")
    {
        return Err(format!("header {name:?} cannot be set"));
    }
    if axum::http::HeaderValue::from_str(value).is_err() {
        return Err(format!("value of header {name:?} is not valid"));
    }
    Ok(())
}

/// Headers whose values are credentials: listed by name only in `GET …/headers`.
const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "x-api-key",
    "x-auth-token",
    "api-key",
    "x-access-token",
];

/// Whether a header's value is hidden from `GET …/headers`.
pub fn is_sensitive_header(name: &str) -> bool {
    SENSITIVE_HEADERS.contains(&name.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(url("https://example.com/hook").is_ok());
        assert!(url("http://127.0.0.1:8080").is_ok());
        assert!(url("ftp://example.com").is_err());
        assert!(url("/relative").is_err());
        assert!(url("not a url").is_err());
    }

    #[test]
    fn uids_and_channels() {
        assert!(uid("customer-1", "app").is_ok());
        assert!(uid("app_123", "app").is_err());
        assert!(uid("has space", "app").is_err());
        assert!(channels(&["eu".into(), "a:b".into()], 10).is_ok());
        assert!(channels(&[], 10).is_err());
        assert!(channels(&vec!["c".to_string(); 6], 5).is_err());
    }

    #[test]
    fn headers() {
        assert!(header("X-Tenant", "42").is_ok());
        for bad in [
            "Host",
            "content-length",
            "Transfer-Encoding",
            "webhook-id",
            "Svix-Signature",
            "bad header",
        ] {
            assert!(header(bad, "v").is_err(), "{bad}");
        }
        assert!(header("X-Ok", "line\nbreak").is_err());
        assert!(is_sensitive_header("Authorization"));
        assert!(!is_sensitive_header("X-Tenant"));
    }

    #[test]
    fn problems_collect() {
        let mut p = Problems::new();
        p.check("url", url("nope"));
        p.check("uid", uid("ok", "ep"));
        p.add("channels", "too many");
        assert_eq!(
            p.finish().unwrap_err().status(),
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        );
        assert!(Problems::new().finish().is_ok());
    }
}
