//! One client connection: hyper's HTTP/1 state machine over the socket, under a watchdog
//! that closes it when its header or idle deadline passes, when the registry evicts it to
//! make room, or, at shutdown, once its request in progress (if any) is answered.
//!
//! Why not hyper's own `header_read_timeout`: its clock starts when the connection becomes
//! ready for the next request, so it would also cap keep-alive idle time at the header
//! timeout. Here the idle clock runs until the next request's first byte, and the header
//! clock from then on (the split Go's `IdleTimeout` and `ReadHeaderTimeout` make).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::limits::Limits;
use super::phase::Conn;
use super::registry::Admitted;
use super::request::{App, RequestService};

/// What every connection task shares.
pub struct Shared {
    /// The router (already wrapped in the path normaliser).
    pub app: App,
    /// Timeouts and the body limit.
    pub limits: Limits,
    /// hyper's HTTP/1 connection settings.
    pub http: http1::Builder,
}

impl Shared {
    /// The settings for `app` under `limits`.
    pub fn new(app: App, limits: Limits) -> Self {
        let mut http = http1::Builder::new();
        // The watchdog enforces the header timeout (see the module doc); hyper's is off.
        http.header_read_timeout(None);
        Self { app, limits, http }
    }
}

/// Serves `stream` until the client or the watchdog ends it; `admitted` leaves the registry
/// when this returns.
pub async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    admitted: Admitted,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    let conn = admitted.conn.clone();
    let io = TokioIo::new(Watched {
        stream,
        conn: conn.clone(),
    });
    let service = RequestService::new(shared.clone(), peer, conn.clone());
    let http = shared.http.serve_connection(io, service);
    tokio::pin!(http);
    let mut draining = false;
    loop {
        let deadline = conn.deadline(&shared.limits, draining);
        let wake = conn.wake.notified();
        tokio::select! {
            result = http.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                break;
            }
            () = shutdown.cancelled(), if !draining => {
                draining = true;
                http.as_mut().graceful_shutdown();
            }
            () = wake => {}
            () = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)),
                if deadline.is_some() =>
            {
                // Look again: the phase may have moved on just as the timer fired.
                let now = Instant::now();
                if conn.deadline(&shared.limits, draining).is_some_and(|d| d <= now) {
                    let why = conn.closing_reason(draining);
                    tracing::debug!(%peer, reason = why, "closing connection");
                    break;
                }
            }
        }
    }
    drop(admitted);
}

/// The socket, telling the connection's state when bytes arrive (an idle connection's
/// next request has begun).
struct Watched {
    stream: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.conn.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
