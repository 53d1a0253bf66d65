//! Which endpoints a message goes to, and the shape of user-chosen identifiers.

/// Whether an endpoint with the given filters receives a message of `event_type` on
/// `msg_channels`. Same rules as Svix: no event-type filter means every type; an endpoint
/// with channels receives only messages sharing at least one channel (so never a
/// channel-less message); an endpoint without channels receives everything.
pub fn endpoint_matches(
    ep_event_types: Option<&[String]>,
    ep_channels: Option<&[String]>,
    event_type: &str,
    msg_channels: Option<&[String]>,
) -> bool {
    if let Some(types) = ep_event_types {
        if !types.is_empty() && !types.iter().any(|t| t == event_type) {
            return false;
        }
    }
    match ep_channels {
        Some(chs) if !chs.is_empty() => {
            msg_channels.is_some_and(|m| m.iter().any(|c| chs.contains(c)))
        }
        _ => true,
    }
}

/// Validates a uid, event type name or channel: 1–256 characters of `[a-zA-Z0-9-_.]`
/// (channels may also contain `:` as in Svix). Returns a human-readable reason on failure.
pub fn validate_identifier(s: &str, allow_colon: bool) -> Result<(), String> {
    if s.is_empty() || s.len() > 256 {
        return Err("must be between 1 and 256 characters".into());
    }
    let ok = s.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || b == b'-'
            || b == b'_'
            || b == b'.'
            || (allow_colon && b == b':')
    });
    if ok {
        Ok(())
    } else {
        Err("may only contain letters, digits, '-', '_' and '.'".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn event_type_filter() {
        let types = v(&["a.created"]);
        assert!(endpoint_matches(Some(&types), None, "a.created", None));
        assert!(!endpoint_matches(Some(&types), None, "a.deleted", None));
        assert!(endpoint_matches(None, None, "anything", None));
    }

    #[test]
    fn channel_filter() {
        let chs = v(&["eu"]);
        assert!(!endpoint_matches(None, Some(&chs), "t", None));
        assert!(endpoint_matches(
            None,
            Some(&chs),
            "t",
            Some(&v(&["us", "eu"]))
        ));
        assert!(!endpoint_matches(None, Some(&chs), "t", Some(&v(&["us"]))));
        assert!(endpoint_matches(None, None, "t", Some(&v(&["us"]))));
    }

    #[test]
    fn identifiers() {
        assert!(validate_identifier("user.created-v2_x", false).is_ok());
        assert!(validate_identifier("", false).is_err());
        assert!(validate_identifier("a b", false).is_err());
        assert!(validate_identifier("a:b", false).is_err());
        assert!(validate_identifier("a:b", true).is_ok());
        assert!(validate_identifier(&"x".repeat(257), false).is_err());
    }
}
