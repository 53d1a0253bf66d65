//! Endpoint URLs: what is accepted, and the one form that is stored.
//!
//! A URL is parsed as a browser would (WHATWG, the `url` crate behind reqwest), which
//! already drops leading and trailing spaces and control characters and every tab, CR and
//! LF. The stored URL is the parser's serialisation, not the text as sent: what is shown
//! in `GET`, signed into attempts and requested by the dispatcher is then one and the same
//! canonical string (lower-case scheme and host, punycode, percent-encoding), and no
//! CRLF or stray space can reach a request line or a log.
//!
//! Credentials in the URL (`https://user:pass@host/`) are refused: they would be sent as
//! Basic auth, stored in clear in the endpoint row and every attempt, and returned by
//! every read of the endpoint, portal tokens included. Endpoint headers are the place for
//! them: sealed at rest, and credential headers are never shown.

use reqwest::Url;

use super::limits::MAX_URL_CHARS;

/// Why a URL with `user:password@` is refused, and what to do instead.
pub const CREDENTIALS_IN_URL: &str = "must not contain credentials (user:password@host): \
     send them in an endpoint header instead, e.g. an `Authorization` header in `headers` \
     on create or with PUT/PATCH …/endpoint/{endpoint_id}/headers (headers are stored \
     encrypted and credential headers are never shown)";

/// The stored form of an endpoint URL: an absolute `http`/`https` URL with a host, no
/// credentials and a port other than 0, at most [`MAX_URL_CHARS`] long once normalised.
pub fn endpoint_url(s: &str) -> Result<String, String> {
    let parsed = Url::parse(s).map_err(|e| format!("invalid URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("URL scheme must be http or https".into());
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("URL must have a host".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(CREDENTIALS_IN_URL.into());
    }
    if parsed.port() == Some(0) {
        return Err("port 0 is not a destination port".into());
    }
    // The serialisation is ASCII, so its length in bytes is its length in characters.
    let normalised = String::from(parsed);
    if normalised.len() > MAX_URL_CHARS {
        return Err(format!(
            "must be at most {MAX_URL_CHARS} characters (normalised)"
        ));
    }
    Ok(normalised)
}

/// The stored form of a URL already accepted by [`endpoint_url`] (the conversions into
/// rows run after validation); anything else is kept as given.
pub fn normalised(s: String) -> String {
    endpoint_url(&s).unwrap_or(s)
}

/// A stored URL as responses show it: a password saved before credentials were refused is
/// replaced by `redacted`, so it is no longer handed to every reader.
pub fn shown(url: String) -> String {
    if !url.contains('@') {
        return url;
    }
    match Url::parse(&url) {
        Ok(mut u) if u.password().is_some() => {
            if u.set_password(Some("redacted")).is_ok() {
                String::from(u)
            } else {
                url
            }
        }
        _ => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_urls_are_normalised() {
        for (given, stored) in [
            ("https://example.com/hook", "https://example.com/hook"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
            ("  https://example.com/a", "https://example.com/a"),
            ("https://exa\r\nmple.com/a\tb", "https://example.com/ab"),
            ("HTTPS://Example.COM:443/x", "https://example.com/x"),
            ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ] {
            assert_eq!(endpoint_url(given).as_deref(), Ok(stored), "{given:?}");
        }
    }

    #[test]
    fn refused_urls() {
        for bad in [
            "ftp://example.com",
            "/relative",
            "not a url",
            "http:///",
            "https://:443/",
            "https://example.com:0/",
            "https://user:pass@example.com/",
            "https://user@example.com/",
            "https://:pass@example.com/",
        ] {
            assert!(endpoint_url(bad).is_err(), "{bad:?}");
        }
        let err = endpoint_url("https://u:p@example.com").unwrap_err();
        assert!(
            err.contains("Authorization") && err.contains("headers"),
            "{err}"
        );
    }

    #[test]
    fn length_is_of_the_stored_form() {
        let base = "https://example.com/";
        let exact = format!("{base}{}", "a".repeat(MAX_URL_CHARS - base.len()));
        assert_eq!(endpoint_url(&exact).map(|s| s.len()), Ok(MAX_URL_CHARS));
        assert!(endpoint_url(&format!("{exact}a")).is_err());
        // Leading spaces do not count: they are not stored.
        assert!(endpoint_url(&format!("   {exact}")).is_ok());
    }

    #[test]
    fn stored_passwords_are_not_shown() {
        assert_eq!(
            shown("https://u:secret@example.com/x".into()),
            "https://u:redacted@example.com/x"
        );
        assert_eq!(
            shown("https://example.com/@x".into()),
            "https://example.com/@x"
        );
    }
}
