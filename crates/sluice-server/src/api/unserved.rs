//! Routes that the Svix SDKs call but Sluice does not serve (Svix's hosted-only features).
//!
//! They answer as the Svix OSS server answers a feature it does not have: 501 with
//! `{"code": "not_implemented", "detail": …}`, naming the feature, so an SDK user sees
//! "not available here" instead of a 404 that reads like a typo in the path. The list was
//! taken from the request paths of the `svix` npm SDK 1.99.1 (`dist/api/*.js`); the
//! JavaScript compatibility suite checks that every SDK route is either served or listed
//! here, and a unit test checks that `docs/API.md` lists each one.
//!
//! The router's two fallbacks consult the list: the route-not-found fallback (no route has
//! the path) and the method-not-allowed one (a served path, another method).

use axum::http::{Method, StatusCode, Uri};

use crate::error::ApiError;

/// `(method, path pattern, feature)`; `{…}` matches one path segment.
#[rustfmt::skip]
pub const UNSERVED: &[(&str, &str, &str)] = &[
    ("POST", "/api/v1/auth/stream-portal-access/{stream_id}", "streaming"),
    ("POST", "/api/v1/auth/stream-logout", "streaming"),
    ("POST", "/api/v1/auth/stream/{stream_id}/expire-all", "streaming"),
    ("GET", "/api/v1/auth/stream/{stream_id}/sink/{sink_id}/poller/token", "streaming"),
    ("POST", "/api/v1/auth/stream/{stream_id}/sink/{sink_id}/poller/token/rotate", "streaming"),
    ("GET", "/api/v1/connector", "connectors"),
    ("POST", "/api/v1/connector", "connectors"),
    ("GET", "/api/v1/connector/{connector_id}", "connectors"),
    ("PUT", "/api/v1/connector/{connector_id}", "connectors"),
    ("PATCH", "/api/v1/connector/{connector_id}", "connectors"),
    ("DELETE", "/api/v1/connector/{connector_id}", "connectors"),
    ("GET", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/transformation", "transformations"),
    ("PATCH", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/transformation", "transformations"),
    ("POST", "/api/v1/app/{app_id}/msg/precheck/active", "message precheck"),
    ("GET", "/api/v1/app/{app_id}/poller/{sink_id}", "polling endpoints"),
    ("GET", "/api/v1/app/{app_id}/poller/{sink_id}/consumer/{consumer_id}", "polling endpoints"),
    ("POST", "/api/v1/app/{app_id}/poller/{sink_id}/consumer/{consumer_id}/seek", "polling endpoints"),
    ("POST", "/api/v1/environment/export", "environment export"),
    ("POST", "/api/v1/environment/import", "environment import"),
    ("POST", "/api/v1/event-type/import/openapi", "event type import from OpenAPI"),
    ("PUT", "/api/v1/stats/usage/event-types", "usage statistics"),
    ("GET", "/api/v1/stream", "streaming"),
    ("POST", "/api/v1/stream", "streaming"),
    ("GET", "/api/v1/stream/event-type", "streaming"),
    ("POST", "/api/v1/stream/event-type", "streaming"),
    ("GET", "/api/v1/stream/event-type/{name}", "streaming"),
    ("PUT", "/api/v1/stream/event-type/{name}", "streaming"),
    ("PATCH", "/api/v1/stream/event-type/{name}", "streaming"),
    ("DELETE", "/api/v1/stream/event-type/{name}", "streaming"),
    ("GET", "/api/v1/stream/{stream_id}", "streaming"),
    ("PUT", "/api/v1/stream/{stream_id}", "streaming"),
    ("PATCH", "/api/v1/stream/{stream_id}", "streaming"),
    ("DELETE", "/api/v1/stream/{stream_id}", "streaming"),
    ("POST", "/api/v1/stream/{stream_id}/events", "streaming"),
    ("GET", "/api/v1/stream/{stream_id}/sink", "streaming"),
    ("POST", "/api/v1/stream/{stream_id}/sink", "streaming"),
    ("GET", "/api/v1/stream/{stream_id}/sink/{sink_id}", "streaming"),
    ("PUT", "/api/v1/stream/{stream_id}/sink/{sink_id}", "streaming"),
    ("PATCH", "/api/v1/stream/{stream_id}/sink/{sink_id}", "streaming"),
    ("DELETE", "/api/v1/stream/{stream_id}/sink/{sink_id}", "streaming"),
    ("GET", "/api/v1/stream/{stream_id}/sink/{sink_id}/events", "streaming"),
    ("GET", "/api/v1/stream/{stream_id}/sink/{sink_id}/headers", "streaming"),
    ("PATCH", "/api/v1/stream/{stream_id}/sink/{sink_id}/headers", "streaming"),
    ("GET", "/api/v1/stream/{stream_id}/sink/{sink_id}/secret", "streaming"),
    ("POST", "/api/v1/stream/{stream_id}/sink/{sink_id}/secret/rotate", "streaming"),
    ("GET", "/api/v1/stream/{stream_id}/sink/{sink_id}/transformation", "streaming"),
    ("PATCH", "/api/v1/stream/{stream_id}/sink/{sink_id}/transformation", "streaming"),
    ("POST", "/ingest/api/v1/source/{source_id}/dashboard", "the ingest dashboard"),
    ("GET", "/ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}/transformation", "transformations"),
    ("PATCH", "/ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}/transformation", "transformations"),
];

/// Whether `path` matches `pattern` segment by segment (`{…}` matches any one segment).
fn matches(pattern: &str, path: &str) -> bool {
    let mut pat = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (pat.next(), got.next()) {
            (None, None) => return true,
            (Some(p), Some(g)) if p.starts_with('{') || p == g => {}
            _ => return false,
        }
    }
}

/// The feature behind `method path`, if it is an SDK route Sluice does not serve.
pub fn feature(method: &Method, path: &str) -> Option<&'static str> {
    UNSERVED
        .iter()
        .find(|(m, p, _)| *m == method.as_str() && matches(p, path))
        .map(|(_, _, f)| *f)
}

fn not_implemented(feature: &str) -> ApiError {
    ApiError::http(
        StatusCode::NOT_IMPLEMENTED,
        "not_implemented",
        format!(
            "This API endpoint is not implemented by Sluice ({feature} is a Svix hosted feature)"
        ),
    )
}

/// The router's fallback: an unserved SDK route is 501, anything else an unknown route.
pub async fn route_not_found(method: Method, uri: Uri) -> ApiError {
    match feature(&method, uri.path()) {
        Some(f) => not_implemented(f),
        None => ApiError::not_found_what("No such route"),
    }
}

/// The router's method-not-allowed fallback: an unserved SDK route is 501, else 405.
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    match feature(&method, uri.path()) {
        Some(f) => not_implemented(f),
        None => ApiError::http(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_segments() {
        let post = Method::POST;
        assert_eq!(
            feature(&post, "/api/v1/app/app_1/msg/precheck/active"),
            Some("message precheck")
        );
        assert_eq!(
            feature(&Method::GET, "/api/v1/app/a/msg/precheck/active"),
            None
        );
        assert_eq!(feature(&post, "/api/v1/app/a/msg/precheck/active/x"), None);
        assert_eq!(feature(&post, "/api/v1/app/a/msg"), None);
        assert_eq!(
            feature(&Method::GET, "/api/v1/stream/s/sink/k"),
            Some("streaming")
        );
    }

    #[test]
    fn every_unserved_route_is_in_the_api_doc() {
        let doc = include_str!("../../../../docs/API.md");
        for (method, path, _) in UNSERVED {
            let entry = format!("`{method} {path}`");
            assert!(doc.contains(&entry), "docs/API.md does not list {entry}");
        }
    }
}
