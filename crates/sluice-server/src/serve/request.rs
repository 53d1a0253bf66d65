//! Each request on a connection: the peer address for handlers (sources' IP allow-lists),
//! the body limit checked against the declared length before anything is read, the body
//! read deadline, and the connection's phase as the request goes.
//!
//! hyper answers `Expect: 100-continue` with `100 Continue` when the body is first polled.
//! A body whose declared `Content-Length` is over the limit fails on its first read with
//! the length-limit error, without polling hyper's body: the handler answers its usual 413
//! (and counts it, as ingest does) at once, and the client is never told to send the body.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::CONNECTION;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::{Full, Limited};
use hyper::body::Incoming;
use tokio::sync::Notify;
use tokio::time::Sleep;
use tower::ServiceExt;
use tower_http::normalize_path::NormalizePath;

use super::connection::Shared;
use super::phase::Conn;
use crate::error::ApiError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The application the serve loop runs: the router inside the trailing-slash normaliser.
pub type App = NormalizePath<Router>;

/// hyper's service for one connection.
#[derive(Clone)]
pub struct RequestService {
    shared: Arc<Shared>,
    peer: SocketAddr,
    conn: Arc<Conn>,
}

impl RequestService {
    /// The service of the connection from `peer`.
    pub fn new(shared: Arc<Shared>, peer: SocketAddr, conn: Arc<Conn>) -> Self {
        Self { shared, peer, conn }
    }
}

type Answer = Result<Response<Tracked>, Infallible>;

impl hyper::service::Service<Request<Incoming>> for RequestService {
    type Response = Response<Tracked>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Answer> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let finished = Finished {
            n: self.conn.request_started(),
            conn: self.conn.clone(),
        };
        let limits = &self.shared.limits;
        let timeout = limits.body_read_timeout;
        let over_limit = declared_over(&req, limits.max_body_bytes);
        let expiry = Arc::new(Notify::new());
        let (mut parts, body) = req.into_parts();
        parts.extensions.insert(ConnectInfo(self.peer));
        let body = Guarded {
            inner: body,
            conn: self.conn.clone(),
            over_limit,
            timeout,
            sleep: None,
            expiry: expiry.clone(),
            expired: false,
        };
        let req = Request::from_parts(parts, body);
        let app = self.shared.app.clone();
        let peer = self.peer;
        Box::pin(async move {
            // The handler is dropped when its body times out: it was waiting for the body,
            // so it has committed nothing, and it never sees a body error it might answer
            // with the wrong status.
            let response = tokio::select! {
                biased;
                () = expiry.notified() => {
                    tracing::debug!(%peer, "request body not received in time");
                    body_timed_out(timeout)
                }
                answered = app.oneshot(req) => match answered {
                    Ok(response) => response,
                    Err(never) => match never {},
                },
            };
            Ok(finished.attach(response))
        })
    }
}

/// Whether the declared `Content-Length` is over `limit` (chunked bodies declare none and
/// are bounded as they are read).
fn declared_over(req: &Request<Incoming>, limit: usize) -> bool {
    let limit = u64::try_from(limit).unwrap_or(u64::MAX);
    req.body().size_hint().exact().is_some_and(|n| n > limit)
}

fn body_timed_out(timeout: Duration) -> Response<Body> {
    closing(
        ApiError::http(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("request body not received within {} s", timeout.as_secs()),
        )
        .into_response(),
    )
}

fn closing(mut response: Response<Body>) -> Response<Body> {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Marks the connection idle when the response is done (its body ended or was dropped).
struct Finished {
    conn: Arc<Conn>,
    n: u64,
}

impl Finished {
    fn attach(self, response: Response<Body>) -> Response<Tracked> {
        response.map(|inner| Tracked {
            inner,
            finished: Some(self),
        })
    }
}

impl Drop for Finished {
    fn drop(&mut self) {
        self.conn.request_finished(self.n);
    }
}

/// A response body that ends its request's [`Finished`] with it.
pub struct Tracked {
    inner: Body,
    finished: Option<Finished>,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) {
            this.finished = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A request body that must arrive within `timeout` of the handler's first read. At the
/// deadline it stops yielding and fires `expiry`, which ends the request with 408. If its
/// declared length is over the limit, its first read fails without reading anything.
struct Guarded {
    inner: Incoming,
    conn: Arc<Conn>,
    over_limit: bool,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    expiry: Arc<Notify>,
    expired: bool,
}

impl HttpBody for Guarded {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.over_limit {
            // The extractors and ingest recognise this error as "too large" (413).
            return Poll::Ready(Some(Err(length_limit_error())));
        }
        if this.expired {
            return Poll::Pending;
        }
        let timeout = this.timeout;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.conn.body_progress();
                Poll::Ready(frame.map(|f| f.map_err(BoxError::from)))
            }
            Poll::Pending => {
                if sleep.as_mut().poll(cx).is_ready() {
                    this.expired = true;
                    this.expiry.notify_one();
                } else {
                    this.conn.body_waiting();
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// `http_body_util::LengthLimitError`, the error axum's extractors answer with 413. It
/// cannot be built outside its crate, so a `Limited` body makes one: one byte over a limit
/// of zero, from memory, ready at once.
fn length_limit_error() -> BoxError {
    let mut over = Limited::new(Full::new(Bytes::from_static(b"!")), 0);
    match Pin::new(&mut over).poll_frame(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Some(Err(e))) => e,
        _ => unreachable!("a one-byte body over a zero limit fails on its first frame"),
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.conn.body_progress();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_the_length_limit_error_axum_maps_to_413() {
        assert!(length_limit_error()
            .downcast_ref::<http_body_util::LengthLimitError>()
            .is_some());
    }
}
