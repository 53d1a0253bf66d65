//! Request ids and trace context.
//!
//! Every response carries `x-request-id`: the caller's, when it sent a well-formed one,
//! else one made here. Each request runs in a `request` span with that id, the method and
//! the route *template* (`/ingest/{token}`, never the token; no query string, no body), so
//! every log line of the request carries them.
//!
//! With OpenTelemetry installed (the binary does so when `otlp_endpoint` is set), the
//! request span continues an incoming W3C `traceparent`, and a publish stores its span's
//! `traceparent` with the message ([`current_traceparent`]); the dispatcher's delivery span
//! takes that as its parent ([`continue_trace`]), so the publish, its fan-out and every
//! attempt, however much later, are one trace. Without it these are no-ops.

use std::collections::HashMap;

use axum::extract::MatchedPath;
use axum::http::{HeaderValue, Request, Response};
use axum::Router;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use rand::Rng;
use tower::ServiceBuilder;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The request id header.
pub const REQUEST_ID: &str = "x-request-id";

/// Longest request id taken from a caller.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Whether a caller's request id may be used (and so logged) as it is: 1 to 128 characters
/// of `A-Z a-z 0-9 - _ . :`. Anything else is replaced, so a header cannot inject text
/// into log lines.
pub fn well_formed_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Makes request ids: `req_` and 24 random hex digits.
#[derive(Clone, Copy, Default)]
struct MakeId;

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n: u128 = rand::thread_rng().gen();
        let id = format!("req_{:024x}", n >> 32);
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Drops a malformed incoming request id, so that one is made instead.
fn drop_malformed_id<B>(mut req: Request<B>) -> Request<B> {
    if req
        .headers()
        .get(REQUEST_ID)
        .is_some_and(|v| !well_formed_request_id(v.as_bytes()))
    {
        req.headers_mut().remove(REQUEST_ID);
    }
    req
}

/// The `request` span of one request: id, method, route template; parented on the
/// caller's `traceparent` when tracing is on.
fn request_span<B>(req: &Request<B>) -> Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        route = %route,
        status = tracing::field::Empty,
    );
    if let Some(parent) = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
    {
        continue_trace(&span, Some(parent));
    }
    span
}

/// Logs the end of a request (debug: a line per request would be the busiest log there is)
/// and records its status on the span.
fn on_response<B>(res: &Response<B>, latency: std::time::Duration, span: &Span) {
    span.record("status", res.status().as_u16());
    tracing::debug!(
        status = res.status().as_u16(),
        ms = latency.as_millis() as u64,
        "request finished"
    );
}

/// Wraps every route of `router` in the request-id and tracing layers. Added with
/// `Router::layer`, so the route template ([`MatchedPath`]) is known.
pub fn layer(router: Router) -> Router {
    router.layer(
        ServiceBuilder::new()
            .map_request(drop_malformed_id)
            .layer(SetRequestIdLayer::x_request_id(MakeId))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_request(())
                    .on_response(on_response),
            ),
    )
}

/// The W3C `traceparent` of the current span, when it is part of a sampled-or-not but
/// valid OpenTelemetry trace; `None` when tracing is off.
pub fn current_traceparent() -> Option<String> {
    let cx = Span::current().context();
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            sc.trace_id(),
            sc.span_id(),
            sc.trace_flags().to_u8()
        )
    })
}

/// Makes `span` a child of the span a `traceparent` names (a message's stored one, or a
/// caller's header). Malformed or absent: `span` stays a root.
pub fn continue_trace(span: &Span, traceparent: Option<&str>) {
    let Some(tp) = traceparent else { return };
    let carrier = HashMap::from([("traceparent".to_string(), tp.to_string())]);
    let cx = TraceContextPropagator::new().extract(&carrier);
    if cx.span().span_context().is_valid() {
        let _ = span.set_parent(cx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_checked() {
        assert!(well_formed_request_id(b"req_0af7651916cd43dd"));
        assert!(well_formed_request_id(b"6f1c-AB.x:1_"));
        assert!(!well_formed_request_id(b""));
        assert!(!well_formed_request_id(b"a b"));
        assert!(!well_formed_request_id(b"a\"}{"));
        assert!(!well_formed_request_id("é".as_bytes()));
        assert!(!well_formed_request_id(&[b'a'; 129]));
        let mut make = MakeId;
        let id = make.make_request_id(&Request::new(())).expect("an id");
        let text = id.header_value().to_str().unwrap();
        assert!(text.starts_with("req_") && text.len() == 28, "{text}");
        assert!(well_formed_request_id(text.as_bytes()));
    }

    #[test]
    fn no_trace_context_without_opentelemetry() {
        let span = tracing::info_span!("x");
        continue_trace(
            &span,
            Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        );
        let _g = span.enter();
        assert_eq!(current_traceparent(), None);
    }
}
