//! Request extractors whose failures are Svix-shaped JSON errors instead of axum's plain-text
//! rejections: a JSON body ([`ApiJson`], [`OptionalJson`]) and typed query parameters
//! ([`Params`]).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use sluice_core::Millis;

use crate::error::{ApiError, ApiResult};

/// The body limit in force, put into request extensions by the router so that a 413 can
/// say what the limit is.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body; malformed or mistyped JSON is a 422 with a readable reason, an oversized
/// body a 413. The content type is not checked (Svix does not either).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// Like [`ApiJson`], but an empty body means `T::default()` (routes whose body is optional).
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> ApiResult<Bytes> {
    let limit = req.extensions().get::<BodyLimit>().map_or(0, |l| l.0);
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large(limit)
        } else {
            ApiError::bad_request("bad_request", rejection.body_text())
        }
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(Self)
    }
}

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        parse_json(&bytes).map(Self)
    }
}

/// Deserialises a body, turning serde's error into a 422 located as precisely as serde_json
/// allows (`missing field` names the field; other errors carry line and column).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        let msg = e.to_string();
        let ty = match e.classify() {
            serde_json::error::Category::Data => "value_error",
            _ => "value_error.jsondecode",
        };
        let mut loc = vec!["body".to_string()];
        if let Some(field) = msg
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            loc.push(field.to_string());
        }
        let msg = if ty == "value_error.jsondecode" {
            format!("invalid JSON: {msg}")
        } else {
            msg
        };
        ApiError::validation_items(vec![crate::error::ValidationItem {
            loc,
            msg,
            ty: ty.into(),
        }])
    })
}

/// The query string as name/value pairs, with typed getters that fail as 422s located at
/// `["query", name]`. Repeated names are kept (list parameters may be repeated or
/// comma-separated; the SDKs send the latter).
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|Query(pairs)| Self(pairs))
            .map_err(|e| ApiError::bad_request("bad_request", e.body_text()))
    }
}

impl Params {
    /// Pairs from a query string (tests).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The last value given for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean (`true`/`false`, case-insensitive).
    pub fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::validation(
                &["query", name],
                "must be true or false",
            )),
        }
    }

    /// An integer.
    pub fn int(&self, name: &str) -> ApiResult<Option<i64>> {
        self.get(name)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| ApiError::validation(&["query", name], "must be an integer"))
            })
            .transpose()
    }

    /// An RFC 3339 timestamp, as milliseconds.
    pub fn time(&self, name: &str) -> ApiResult<Option<Millis>> {
        self.get(name)
            .map(|v| {
                parse_time(v).ok_or_else(|| {
                    ApiError::validation(&["query", name], "must be an RFC 3339 timestamp")
                })
            })
            .transpose()
    }

    /// Every value of `name`, comma-separated values split; `None` when absent or empty.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        let list: Vec<String> = self
            .0
            .iter()
            .filter(|(k, _)| k == name || k.strip_suffix("[]") == Some(name))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        (!list.is_empty()).then_some(list)
    }
}

/// Parses an RFC 3339 timestamp into milliseconds. A timestamp without an offset is taken
/// as UTC, because the Python SDK sends naive datetimes that way.
pub fn parse_time(s: &str) -> Option<Millis> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_with_and_without_offset() {
        assert_eq!(parse_time("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_time("1970-01-01T01:00:01.5+01:00"), Some(1500));
        assert_eq!(parse_time("1970-01-01T00:00:02.250000"), Some(2250));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn params_lists_and_bools() {
        let p = Params::from_pairs(&[
            ("event_types", "a.b,c"),
            ("event_types", "d"),
            ("x", "TRUE"),
        ]);
        assert_eq!(p.list("event_types").unwrap(), vec!["a.b", "c", "d"]);
        assert_eq!(p.list("missing"), None);
        assert_eq!(p.bool("x").unwrap(), Some(true));
        assert!(Params::from_pairs(&[("x", "yes")]).bool("x").is_err());
        assert!(Params::from_pairs(&[("t", "nope")]).time("t").is_err());
    }

    #[test]
    fn json_errors_are_422_with_location() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            url: String,
        }
        let e = parse_json::<T>(b"{}").unwrap_err();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let e = parse_json::<T>(b"{not json").unwrap_err();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
