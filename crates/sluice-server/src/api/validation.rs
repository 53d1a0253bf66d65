//! Field rules shared by the routes. Each check adds to a [`Problems`] list so one 422 can
//! report every bad field of a body at once, as Svix does. The bounds themselves are in
//! [`limits`]; endpoint URLs in [`mod@url`].

pub mod limits;
pub mod url;

use std::collections::BTreeMap;

use sluice_core::filter::validate_identifier;

use self::limits::{
    MAX_EVENT_TYPE_FILTER, MAX_HEADERS, MAX_HEADER_NAME_BYTES, MAX_HEADER_VALUE_BYTES,
};

pub use crate::ops::Problems;

/// An endpoint URL that [`url::endpoint_url`] accepts.
pub fn url(s: &str) -> Result<(), String> {
    url::endpoint_url(s).map(|_| ())
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

/// A channel list of 1..=`max` valid channel names (distinct: the models drop repeats as
/// they read a list, see [`limits::unique_list`]).
pub fn channels(list: &[String], max: usize) -> Result<(), String> {
    if list.is_empty() || list.len() > max {
        return Err(format!("must hold between 1 and {max} distinct channels"));
    }
    for c in list {
        validate_identifier(c, true).map_err(|e| format!("channel {:?}: {e}", clip(c)))?;
    }
    Ok(())
}

/// An endpoint's event-type filter: at most [`MAX_EVENT_TYPE_FILTER`] distinct names, each
/// a valid event type name. Whether they exist is checked against the store by the route.
pub fn event_type_filter(list: &[String]) -> Result<(), String> {
    if list.len() > MAX_EVENT_TYPE_FILTER {
        return Err(format!(
            "must hold at most {MAX_EVENT_TYPE_FILTER} distinct event types"
        ));
    }
    for name in list {
        event_type_name(name).map_err(|e| format!("event type {:?}: {e}", clip(name)))?;
    }
    Ok(())
}

/// The start of a value for an error message, so a 100 kB value is not echoed back.
fn clip(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
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

/// Checks a custom delivery header: a valid, allowed name and a valid value, each within
/// its length limit.
pub fn header(name: &str, value: &str) -> Result<(), String> {
    if name.len() > MAX_HEADER_NAME_BYTES {
        return Err(format!(
            "header name {:?} is longer than {MAX_HEADER_NAME_BYTES} bytes",
            clip(name)
        ));
    }
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
    if value.len() > MAX_HEADER_VALUE_BYTES {
        return Err(format!(
            "value of header {name:?} is longer than {MAX_HEADER_VALUE_BYTES} bytes"
        ));
    }
    Ok(())
}

/// An endpoint's whole custom header set, on create as on `…/headers`: at most
/// [`MAX_HEADERS`], each valid, and no name twice in different case (HTTP names are
/// case-insensitive, so both would go out). Problems are located at `headers`.
pub fn headers(headers: &BTreeMap<String, String>, p: &mut Problems) {
    if headers.len() > MAX_HEADERS {
        p.add("headers", format!("at most {MAX_HEADERS} headers"));
        return;
    }
    let mut seen = std::collections::HashSet::new();
    for (name, value) in headers {
        p.check("headers", header(name, value));
        if !seen.insert(name.to_ascii_lowercase()) {
            p.add("headers", format!("header {name:?} is given twice"));
        }
    }
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
    fn event_type_filters() {
        let names: Vec<String> = (0..MAX_EVENT_TYPE_FILTER)
            .map(|i| format!("t{i}"))
            .collect();
        assert!(event_type_filter(&names).is_ok());
        let mut over = names.clone();
        over.push("one.more".into());
        assert!(event_type_filter(&over).is_err());
        assert!(event_type_filter(&["bad name".into()]).is_err());
        assert!(event_type_filter(&["x".repeat(257)]).unwrap_err().len() < 200);
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
    fn header_rules() {
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
        assert!(header("X-Ok", &"v".repeat(MAX_HEADER_VALUE_BYTES)).is_ok());
        assert!(header("X-Ok", &"v".repeat(MAX_HEADER_VALUE_BYTES + 1)).is_err());
        let long = format!("x-{}", "n".repeat(MAX_HEADER_NAME_BYTES - 2));
        assert!(header(&long, "v").is_ok());
        assert!(header(&format!("{long}n"), "v").is_err());
        let mut p = Problems::new();
        let twice = BTreeMap::from([("X-A".into(), "1".into()), ("x-a".into(), "2".into())]);
        headers(&twice, &mut p);
        assert!(p.finish().is_err());
        assert!(is_sensitive_header("Authorization"));
        assert!(!is_sensitive_header("X-Tenant"));
    }

    #[test]
    fn problems_collect() {
        let mut p = Problems::new();
        p.check("url", url("nope"));
        p.check("uid", uid("ok", "ep"));
        p.add("channels", "too many");
        match p.finish() {
            Err(crate::ops::Error::Invalid(items)) => assert_eq!(items.len(), 2),
            other => panic!("expected two problems, got {other:?}"),
        }
        assert!(Problems::new().finish().is_ok());
    }
}
