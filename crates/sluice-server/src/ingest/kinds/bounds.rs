//! Length and count bounds of a source's `config` (the limits themselves are the API's, in
//! [`crate::api::validation::limits`]). A config is sealed and opened on every ingest
//! request and its secrets enter a MAC per request, so a megabyte "secret" would cost on
//! every event; credentials and header names must also be usable as HTTP header values.

use axum::http::{HeaderName, HeaderValue};

use super::{AuthIn, ConfigIn};
use crate::api::validation::limits::{
    max_chars, MAX_ALLOWED_IPS, MAX_CREDENTIAL_CHARS, MAX_HEADER_NAME_BYTES, MAX_IP_CHARS,
    MAX_SECRET_CHARS, MAX_SETTING_CHARS, MAX_SOURCE_AUTH,
};

/// Every bound `config` breaks, as (field, reason).
pub fn check(c: &ConfigIn) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut add = |field: &str, r: Result<(), String>| {
        if let Err(e) = r {
            problems.push((format!("config.{field}"), e));
        }
    };
    let text = |v: &Option<String>, max| v.as_deref().map_or(Ok(()), |s| max_chars(s, max));
    add("secret", text(&c.secret, MAX_SECRET_CHARS));
    add("verifyToken", text(&c.verify_token, MAX_SECRET_CHARS));
    add(
        "idHeader",
        c.id_header.as_deref().map_or(Ok(()), header_name),
    );
    add("idJsonPointer", text(&c.id_json_pointer, MAX_SETTING_CHARS));
    add("schedule", text(&c.schedule, MAX_SETTING_CHARS));
    add(
        "contentType",
        c.content_type.as_deref().map_or(Ok(()), |v| {
            max_chars(v, MAX_SETTING_CHARS)?;
            header_value(v)
        }),
    );
    if c.auth.len() > MAX_SOURCE_AUTH {
        add(
            "auth",
            Err(format!("at most {MAX_SOURCE_AUTH} credentials")),
        );
    } else {
        for a in &c.auth {
            add("auth", credential(a));
        }
    }
    if c.allowed_ips.len() > MAX_ALLOWED_IPS {
        add(
            "allowedIps",
            Err(format!("at most {MAX_ALLOWED_IPS} entries")),
        );
    } else {
        for ip in &c.allowed_ips {
            add("allowedIps", max_chars(ip, MAX_IP_CHARS));
        }
    }
    problems
}

/// One `generic-webhook` credential: bounded, and presentable in a request header.
fn credential(a: &AuthIn) -> Result<(), String> {
    match a {
        AuthIn::Basic { username, password } => {
            max_chars(username, MAX_SECRET_CHARS).map_err(|e| format!("username {e}"))?;
            max_chars(password, MAX_SECRET_CHARS).map_err(|e| format!("password {e}"))
        }
        AuthIn::Bearer { token } => {
            max_chars(token, MAX_CREDENTIAL_CHARS).map_err(|e| format!("token {e}"))?;
            header_value(token).map_err(|e| format!("token {e}"))
        }
        AuthIn::Header { name, value } => {
            header_name(name)?;
            max_chars(value, MAX_CREDENTIAL_CHARS).map_err(|e| format!("value {e}"))?;
            header_value(value).map_err(|e| format!("value {e}"))
        }
    }
}

fn header_name(name: &str) -> Result<(), String> {
    if name.len() > MAX_HEADER_NAME_BYTES {
        return Err(format!(
            "header name must be at most {MAX_HEADER_NAME_BYTES} bytes"
        ));
    }
    HeaderName::from_bytes(name.as_bytes())
        .map(|_| ())
        .map_err(|_| "is not a valid header name".into())
}

fn header_value(value: &str) -> Result<(), String> {
    HeaderValue::from_str(value)
        .map(|_| ())
        .map_err(|_| "is not a valid header value (no control characters)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_at_the_limit_and_over() {
        let at = ConfigIn {
            secret: Some("s".repeat(MAX_SECRET_CHARS)),
            allowed_ips: vec!["10.0.0.1".into(); MAX_ALLOWED_IPS],
            ..ConfigIn::default()
        };
        assert!(check(&at).is_empty());
        let over = ConfigIn {
            secret: Some("s".repeat(MAX_SECRET_CHARS + 1)),
            verify_token: Some("t".repeat(MAX_SECRET_CHARS + 1)),
            id_header: Some("bad header".into()),
            content_type: Some("text/plain\r\nx: y".into()),
            auth: vec![AuthIn::Bearer {
                token: "t".repeat(MAX_CREDENTIAL_CHARS + 1),
            }],
            allowed_ips: vec!["10.0.0.1".into(); MAX_ALLOWED_IPS + 1],
            ..ConfigIn::default()
        };
        let fields: Vec<String> = check(&over).into_iter().map(|(f, _)| f).collect();
        for f in [
            "config.secret",
            "config.verifyToken",
            "config.idHeader",
            "config.contentType",
            "config.auth",
            "config.allowedIps",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f}: {fields:?}");
        }
    }
}
