//! The HTTP serve loop. `axum::serve` has no timeouts and no connection cap, so a client
//! could hold a connection forever (idle, slow headers, stalled body) and enough of them
//! took every file descriptor: `accept` failed with EMFILE and every API and ingest client
//! was locked out. This loop bounds all of that.
//!
//! # Layout
//! - [`limits`]: the timeouts and the connection cap (derived from the open-file limit).
//! - [`phase`]: one connection's state: what it waits for, since when, its deadline.
//! - [`registry`]: the open connections; admission and eviction at the cap.
//! - [`connection`]: one connection under hyper, with its header/idle watchdog.
//! - [`request`]: per request: peer address, early 413, body deadline (408).
//!
//! # Timeouts
//! Headers must arrive within `header_read_timeout_secs` of the accept or of the next
//! request's first byte; a kept-alive connection may wait `idle_timeout_secs` for that
//! byte; a body must arrive within `body_read_timeout_secs` of the handler's first read.
//! Each bounds the whole wait, so trickling a byte at a time does not extend it.
//!
//! # Admission
//! Below `max_connections` a connection is admitted. At the cap, the connections that have
//! waited longest on their client (for headers, the next request, or more body) are closed
//! to make room, so a flood of idle or slow connections cannot keep new clients out: the
//! health check and the API get in by pushing the flood's oldest connections out. Only if
//! every connection is busy with a request (or evicted ones are slow to close) is a new one
//! shed (a 503 written without waiting, then closed). The cap sits below the open-file
//! limit, so `accept` keeps working; if it fails anyway (EMFILE from other descriptors), the
//! loop closes a batch of waiting connections, backs off briefly and logs, instead of
//! spinning or exiting.

pub mod limits;

mod connection;
mod phase;
mod registry;
mod request;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use self::connection::Shared;
pub use self::limits::Limits;
use self::registry::Registry;
pub use self::request::App;

/// Serves `app` on `listener` under `limits` until `shutdown`; then stops accepting and
/// returns once every connection has closed (requests under way are answered first).
pub async fn serve(listener: TcpListener, app: App, limits: Limits, shutdown: CancellationToken) {
    let registry = Registry::new(limits.max_connections);
    let shared = Arc::new(Shared::new(app, limits));
    let mut backoff = Backoff::default();
    let mut shed_log = Throttled::default();
    let mut error_log = Throttled::default();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff.reset();
                let admitted = match registry.admit(PATIENCE).await {
                    Ok(admitted) => admitted,
                    Err(full) => {
                        shed(stream);
                        shed_log.log(|n| {
                            tracing::warn!(
                                shed = n,
                                open = registry.open(),
                                cause = ?full,
                                "connection cap reached: shedding new connections"
                            );
                        });
                        continue;
                    }
                };
                // Responses are written whole; no reason to wait for Nagle.
                let _ = stream.set_nodelay(true);
                let (shared, shutdown) = (shared.clone(), shutdown.clone());
                tokio::spawn(connection::serve(stream, peer, admitted, shared, shutdown));
            }
            // The peer gave up between SYN and accept: nothing to do.
            Err(e) if per_connection(&e) => {}
            Err(e) => {
                let relieved = registry.relieve();
                error_log.log(|n| {
                    tracing::warn!(
                        error = %e,
                        failures = n,
                        open = registry.open(),
                        closing = relieved,
                        "accept failed; closing idle connections and backing off"
                    );
                });
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(backoff.next()) => {}
                }
            }
        }
    }
    // New connections are refused from here on instead of queueing unanswered.
    drop(listener);
    registry.drained().await;
}

/// How long a newcomer waits for evicted connections to release their descriptors before
/// it is shed (only under a flood that outruns their tasks).
const PATIENCE: Duration = Duration::from_millis(100);

/// Errors that concern one connection, not the listener.
fn per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// The answer of a shed connection. Written with `try_write`: never waits for the client.
const OVERLOADED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
content-length: 60\r\n\
retry-after: 1\r\n\
connection: close\r\n\r\n\
{\"code\":\"overloaded\",\"detail\":\"Too many open connections\"}\r\n";

fn shed(stream: TcpStream) {
    let _ = stream.try_write(OVERLOADED);
}

/// Doubling pauses after accept failures, from 5 ms to 1 s.
#[derive(Default)]
struct Backoff {
    next: Option<Duration>,
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let d = self.next.unwrap_or(Duration::from_millis(5));
        self.next = Some((d * 2).min(Duration::from_secs(1)));
        d
    }

    fn reset(&mut self) {
        self.next = None;
    }
}

/// At most one log line every few seconds for an event that can repeat at line rate,
/// carrying how many happened since the last.
#[derive(Default)]
struct Throttled {
    last: Option<Instant>,
    count: u64,
}

impl Throttled {
    const EVERY: Duration = Duration::from_secs(5);

    fn log(&mut self, emit: impl FnOnce(u64)) {
        self.count += 1;
        let now = Instant::now();
        if self
            .last
            .is_none_or(|t| now.duration_since(t) >= Self::EVERY)
        {
            emit(self.count);
            self.count = 0;
            self.last = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overload_answer_declares_its_length() {
        let text = std::str::from_utf8(OVERLOADED).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        assert_eq!(body.len(), 60);
        let v: serde_json::Value = serde_json::from_str(body.trim()).unwrap();
        assert_eq!(v["code"], "overloaded");
    }

    #[test]
    fn backoff_doubles_to_a_second_and_resets() {
        let mut b = Backoff::default();
        let seen: Vec<_> = (0..10).map(|_| b.next().as_millis()).collect();
        assert_eq!(seen, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.reset();
        assert_eq!(b.next(), Duration::from_millis(5));
    }
}
