//! The bounds on every client-supplied string, map and list, in one place so that
//! `docs/API.md`'s table and the code say the same. Where Svix has a limit, it is Svix's (an
//! SDK user sees the same 422 on either server); elsewhere the bound is generous for real
//! use and small enough that no field can carry megabytes into every row, response and
//! delivery. The request body limit (`max_payload_bytes`) still bounds everything else.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::api::models::Patch;

/// Names of applications and sources (Svix's `IngestSourceIn.name`: 256).
pub const MAX_NAME_CHARS: usize = 256;
/// Descriptions of endpoints and event types (Svix sets none; a paragraph, not a file).
pub const MAX_DESCRIPTION_CHARS: usize = 4096;
/// An endpoint URL in its stored (normalised) form (Svix: 65,536).
pub const MAX_URL_CHARS: usize = 65_536;
/// `metadata` serialised as JSON (Svix: 4,096 bytes). This one bound caps the number of
/// keys and the length of every key and value together.
pub const MAX_METADATA_BYTES: usize = 4096;
/// Custom headers per endpoint: they go out with every delivery.
pub const MAX_HEADERS: usize = 50;
/// A custom header's name.
pub const MAX_HEADER_NAME_BYTES: usize = 256;
/// A custom header's value (Svix: 4,096 bytes).
pub const MAX_HEADER_VALUE_BYTES: usize = 4096;
/// Distinct names in an endpoint's `eventTypes` (Svix sets none; each is looked up).
pub const MAX_EVENT_TYPE_FILTER: usize = 1000;
/// A provider secret, Meta's verify token, a Basic username or password of a source.
pub const MAX_SECRET_CHARS: usize = 1024;
/// A Bearer token or header value a `generic-webhook` source expects.
pub const MAX_CREDENTIAL_CHARS: usize = 4096;
/// Credentials a `generic-webhook` source accepts (any one of them).
pub const MAX_SOURCE_AUTH: usize = 10;
/// Entries in a source's `allowedIps`.
pub const MAX_ALLOWED_IPS: usize = 100;
/// One `allowedIps` entry (the longest IPv6 CIDR is 43 characters).
pub const MAX_IP_CHARS: usize = 64;
/// `generic-webhook`'s `idJsonPointer`, and a cron `schedule` or `contentType`.
pub const MAX_SETTING_CHARS: usize = 1024;

/// Text of at most `max` characters (Unicode scalar values, as a user counts them).
pub fn max_chars(s: &str, max: usize) -> Result<(), String> {
    // `len()` is the byte count, never below the character count: the cheap test first.
    if s.len() > max && s.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(())
    }
}

/// A display name: not blank, at most [`MAX_NAME_CHARS`].
pub fn name(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err("must not be empty".into());
    }
    max_chars(s, MAX_NAME_CHARS)
}

/// A description: at most [`MAX_DESCRIPTION_CHARS`], and none of the control characters
/// U+0000–U+0008 Svix refuses.
pub fn description(s: &str) -> Result<(), String> {
    max_chars(s, MAX_DESCRIPTION_CHARS)?;
    if s.chars().any(|c| c <= '\u{8}') {
        return Err("control characters U+0000 to U+0008 are not allowed".into());
    }
    Ok(())
}

/// `metadata`: at most [`MAX_METADATA_BYTES`] as serialised JSON, Svix's rule.
pub fn metadata(m: &BTreeMap<String, String>) -> Result<(), String> {
    let size = serde_json::to_string(m).map_or(usize::MAX, |s| s.len());
    if size > MAX_METADATA_BYTES {
        Err(format!(
            "must be at most {MAX_METADATA_BYTES} bytes as JSON ({size} given)"
        ))
    } else {
        Ok(())
    }
}

/// `list` without repeats, first occurrences kept in order (Svix's sets are unordered;
/// keeping the caller's order makes responses predictable).
pub fn unique(list: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    list.into_iter()
        .filter(|s| seen.insert(s.clone()))
        .collect()
}

/// `deserialize_with` for an optional list that is a set on the wire (`eventTypes`,
/// `channels`): repeats are dropped as it is read, so limits count distinct names and
/// nothing downstream sees a duplicate.
pub fn unique_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.map(unique))
}

/// [`unique_list`] for a PATCH field.
pub fn unique_patch<'de, D: Deserializer<'de>>(d: D) -> Result<Patch<Vec<String>>, D::Error> {
    Ok(match Patch::<Vec<String>>::deserialize(d)? {
        Patch::Value(v) => Patch::Value(unique(v)),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_characters() {
        assert!(
            max_chars(&"é".repeat(256), 256).is_ok(),
            "512 bytes, 256 chars"
        );
        assert!(max_chars(&"é".repeat(257), 256).is_err());
        assert!(name("  ").is_err());
        assert!(name(&"n".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(name(&"n".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(description("tab\tand newline\n are fine").is_ok());
        assert!(description("nul \0").is_err());
    }

    #[test]
    fn metadata_is_bounded_as_json() {
        // {"k":"…"} is 8 bytes of framing around the value.
        let exact = BTreeMap::from([("k".to_string(), "v".repeat(MAX_METADATA_BYTES - 8))]);
        assert!(metadata(&exact).is_ok());
        let over = BTreeMap::from([("k".to_string(), "v".repeat(MAX_METADATA_BYTES - 7))]);
        assert!(metadata(&over).is_err());
    }

    #[test]
    fn sets_keep_first_occurrences() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(unique(v(&["b", "a", "b", "c", "a"])), v(&["b", "a", "c"]));
    }
}
