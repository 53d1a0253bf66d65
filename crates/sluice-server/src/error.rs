//! The one HTTP error type of the server ([`ApiError`]) and its Svix-shaped JSON bodies,
//! shared by the management API, authentication and the ingest route.
//!
//! Svix answers errors as `{"code": "...", "detail": "..."}`, except validation errors
//! (422), which are `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`. The SDKs
//! parse exactly these two shapes (a 422 body must carry a `detail` list), so every failure
//! path of every route ends here.
//!
//! Operation errors ([`crate::ops::Error`]) map by variant, and store errors through them:
//! a conflict by its [`sluice_store::ConflictKind`], an unavailable store to 503 with
//! `Retry-After`, any other failure to an opaque 500. The cause of the last two is
//! logged with its whole chain ([`Chain`]) and never shown.

use std::error::Error;
use std::fmt;

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sluice_store::StoreError;

/// Seconds a client is asked to wait before retrying while the store is unavailable: long
/// enough for a lock holder or a reconnect to finish, short enough not to stall a retry loop.
pub const RETRY_AFTER_SECS: u32 = 2;

pub use crate::ops::ValidationItem;

/// An API failure: a status and a Svix-shaped body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// `Retry-After` seconds, sent with a 503.
    retry_after: Option<u32>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum ErrorBody {
    Http { code: String, detail: String },
    Validation { detail: Vec<ValidationItem> },
}

/// Result alias of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// Any status with a `{code, detail}` body.
    pub fn http(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody::Http {
                code: code.into(),
                detail: detail.into(),
            },
            retry_after: None,
        }
    }

    /// 400 with a specific code.
    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::http(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401: missing, forged or expired credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::http(StatusCode::UNAUTHORIZED, "authentication_failed", detail)
    }

    /// 403: valid credentials that do not reach this resource.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::http(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404 with Svix's generic detail.
    pub fn not_found() -> Self {
        Self::http(StatusCode::NOT_FOUND, "not_found", "Entity not found")
    }

    /// 404 naming what is missing.
    pub fn not_found_what(detail: impl Into<String>) -> Self {
        Self::http(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 409: a uniqueness rule was broken.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::http(StatusCode::CONFLICT, "conflict", detail)
    }

    /// 413: the body exceeds `max_payload_bytes`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::http(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request body exceeds the limit of {limit} bytes"),
        )
    }

    /// 422 with one item.
    pub fn validation(loc: &[&str], msg: impl Into<String>) -> Self {
        Self::validation_items(vec![ValidationItem::new(loc, msg)])
    }

    /// 422 with several items.
    pub fn validation_items(items: Vec<ValidationItem>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: ErrorBody::Validation { detail: items },
            retry_after: None,
        }
    }

    /// 500; the cause is logged, not shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::http(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal server error",
        )
    }

    /// 503 with `Retry-After`: the store cannot serve right now, the same request may
    /// succeed in a moment.
    pub fn unavailable() -> Self {
        Self {
            retry_after: Some(RETRY_AFTER_SECS),
            ..Self::http(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "The service is temporarily unavailable; retry shortly",
            )
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<StoreError> for ApiError {
    /// Through the operations' own reading of store errors, so that conflicts are worded
    /// in one place.
    fn from(e: StoreError) -> Self {
        crate::ops::Error::from(e).into()
    }
}

impl From<crate::ops::Error> for ApiError {
    fn from(e: crate::ops::Error) -> Self {
        use crate::ops::Error;
        match e {
            Error::NotFound(what) => Self::not_found_what(what),
            Error::Forbidden(detail) => Self::forbidden(detail),
            Error::Conflict(detail) => Self::conflict(detail),
            Error::Invalid(items) => Self::validation_items(items),
            Error::Refused { code, detail } => Self::bad_request(code, detail),
            Error::Store(e) => Self::store_failure(&e),
            Error::Internal(cause) => Self::internal(cause),
        }
    }
}

impl ApiError {
    /// A store failure the operation did not translate: 503 with `Retry-After` when the
    /// store is unavailable, otherwise an opaque 500; the cause chain is logged, not shown.
    fn store_failure(e: &StoreError) -> Self {
        if let StoreError::Unavailable(_) = e {
            tracing::warn!(error = %Chain(e), "store unavailable");
            return Self::unavailable();
        }
        tracing::error!(error = %Chain(e), "store failure");
        Self::http(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal server error",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(self.body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// An error and its causes on one line, for logs: `outer: cause: root cause`. A cause whose
/// text the line already holds (an error that prints its source) is not repeated.
pub struct Chain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = self.0.to_string();
        let mut cause = self.0.source();
        while let Some(c) = cause {
            let text = c.to_string();
            if !line.contains(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
            cause = c.source();
        }
        f.write_str(&line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unavailable_store_is_a_503_with_retry_after() {
        let e = ApiError::from(StoreError::unavailable("pool timed out"));
        let resp = e.into_response();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers()[RETRY_AFTER], RETRY_AFTER_SECS.to_string());
    }

    #[test]
    fn a_backend_failure_shows_nothing_of_its_cause() {
        let e = ApiError::from(StoreError::backend("disk image is malformed"));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&e.body).unwrap();
        assert!(!body.contains("malformed"), "{body}");
        assert!(e.retry_after.is_none());
    }

    #[test]
    fn chains_name_every_cause_once() {
        let inner = sluice_store::Context::new("migration 4", std::io::Error::other("disk full"));
        let e = StoreError::backend(inner);
        assert_eq!(
            Chain(&e).to_string(),
            "storage error: migration 4: disk full"
        );
    }

    #[test]
    fn shapes_match_svix() {
        let body = serde_json::to_value(ApiError::not_found().body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"code": "not_found", "detail": "Entity not found"})
        );
        let v = ApiError::validation(&["body", "url"], "bad url");
        assert_eq!(v.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            serde_json::to_value(v.body).unwrap(),
            serde_json::json!({"detail": [{"loc": ["body", "url"], "msg": "bad url", "type": "value_error"}]})
        );
    }
}
