//! The one error type of the API and its Svix-shaped JSON bodies.
//!
//! Svix answers errors as `{"code": "...", "detail": "..."}`, except validation errors
//! (422), which are `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`. The SDKs
//! parse exactly these two shapes (a 422 body must carry a `detail` list), so every failure
//! path of every route ends here.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sluice_store::StoreError;

/// One entry of a 422 body: where (`["body", "url"]`, `["query", "limit"]`) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationItem {
    /// Location of the offending value.
    pub loc: Vec<String>,
    /// Human-readable reason.
    pub msg: String,
    /// Error kind, e.g. `value_error`.
    #[serde(rename = "type")]
    pub ty: String,
}

impl ValidationItem {
    /// A `value_error` at `loc`.
    pub fn new(loc: &[&str], msg: impl Into<String>) -> Self {
        Self {
            loc: loc.iter().map(|s| s.to_string()).collect(),
            msg: msg.into(),
            ty: "value_error".into(),
        }
    }
}

/// An API failure: a status and a Svix-shaped body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
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

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::Conflict(what) => Self::conflict(conflict_detail(&what)),
            StoreError::Backend(cause) => Self::internal(cause),
        }
    }
}

/// Svix's wording for the uniqueness rules the store reports.
fn conflict_detail(what: &str) -> String {
    match what {
        "eventId" => "A message with this eventId already exists for this application".into(),
        "uid" => "An entity with this uid already exists".into(),
        "name" => "An event type with this name already exists".into(),
        other => format!("Conflict: {other}"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
