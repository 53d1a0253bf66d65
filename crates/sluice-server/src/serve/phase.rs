//! One connection's state: what it is waiting for and since when, which tells its
//! watchdog when to close it and the registry which connection to evict.
//!
//! Why phases: an attacker holds a connection by not sending (headers, body, or the next
//! request). Those waits are exactly the phases in which closing a connection loses
//! nothing the server has started on. A connection whose request the server is working on
//! ([`Phase::Busy`]) has no deadline here and is never evicted.

use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::time::Instant;

use super::limits::Limits;

/// What a connection is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The headers of a request (since accept, or since the first byte of the next one).
    Headers,
    /// The server is handling a request (routing, store, writing the response).
    Busy,
    /// The handler is waiting for more of the request body.
    Body,
    /// The next request on a kept-alive connection.
    Idle,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    since: Instant,
    /// Requests begun on this connection; lets a late end of request N not clobber N+1.
    requests: u64,
    evicted: bool,
}

/// One connection's shared state.
#[derive(Debug)]
pub struct Conn {
    state: Mutex<State>,
    /// Woken when the watchdog must look again (phase change that moves its deadline,
    /// eviction).
    pub wake: Notify,
}

impl Conn {
    /// A connection just accepted: waiting for its first request's headers.
    pub(super) fn new(now: Instant) -> Self {
        Self {
            state: Mutex::new(State {
                phase: Phase::Headers,
                since: now,
                requests: 0,
                evicted: false,
            }),
            wake: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Bytes arrived: on an idle connection, that is the start of the next request's headers.
    pub fn bytes_read(&self) {
        let mut s = self.lock();
        if s.phase == Phase::Idle {
            s.phase = Phase::Headers;
            s.since = Instant::now();
            drop(s);
            self.wake.notify_one();
        }
    }

    /// Headers are in and the service was called; returns the request's number.
    pub fn request_started(&self) -> u64 {
        let mut s = self.lock();
        s.requests += 1;
        s.phase = Phase::Busy;
        s.since = Instant::now();
        let n = s.requests;
        drop(s);
        self.wake.notify_one();
        n
    }

    /// The response of request `n` was written out (or dropped): the connection is idle.
    pub fn request_finished(&self, n: u64) {
        let mut s = self.lock();
        if s.requests == n && matches!(s.phase, Phase::Busy | Phase::Body) {
            s.phase = Phase::Idle;
            s.since = Instant::now();
            drop(s);
            self.wake.notify_one();
        }
    }

    /// The handler polled the body and none was there. The first such wait starts the clock;
    /// the body timeout itself is enforced by the body (see `request`).
    pub fn body_waiting(&self) {
        let mut s = self.lock();
        if s.phase == Phase::Busy {
            s.phase = Phase::Body;
            s.since = Instant::now();
        }
    }

    /// Body data (or its end) arrived: the server is working again.
    pub fn body_progress(&self) {
        let mut s = self.lock();
        if s.phase == Phase::Body {
            s.phase = Phase::Busy;
        }
    }

    /// When the watchdog must close the connection, if nothing changes before: now if it was
    /// evicted, or if the server is draining and no request is under way; otherwise at the
    /// end of the header or idle timeout. `None` while a request is being handled.
    pub fn deadline(&self, limits: &Limits, draining: bool) -> Option<Instant> {
        let s = self.lock();
        deadline_of(&s, limits, draining)
    }

    /// Why a connection whose deadline passed is closed, for the log.
    pub fn closing_reason(&self, draining: bool) -> &'static str {
        let s = self.lock();
        match s.phase {
            _ if s.evicted => "evicted to admit a new connection at the connection cap",
            Phase::Headers if !draining => "header read timeout",
            Phase::Idle if !draining => "idle timeout",
            _ => "server shutting down",
        }
    }

    /// Since when it has waited on its client, if it may be evicted (not busy, not
    /// already evicted).
    pub(super) fn eviction_key(&self) -> Option<Instant> {
        let s = self.lock();
        (!s.evicted && s.phase != Phase::Busy).then_some(s.since)
    }

    /// Tells the watchdog to close the connection at once.
    pub(super) fn evict(&self) {
        self.lock().evicted = true;
        self.wake.notify_one();
    }

    /// Whether [`Conn::evict`] was called.
    pub(super) fn evicted(&self) -> bool {
        self.lock().evicted
    }

    #[cfg(test)]
    pub fn phase(&self) -> Phase {
        self.lock().phase
    }
}

fn deadline_of(s: &State, limits: &Limits, draining: bool) -> Option<Instant> {
    let waiting_on_client = matches!(s.phase, Phase::Headers | Phase::Idle);
    // A request that began after its connection was chosen still gets its answer.
    let evicted = s.evicted && s.phase != Phase::Busy;
    if evicted || (draining && waiting_on_client) {
        // Already past: close at once.
        return Some(s.since);
    }
    match s.phase {
        Phase::Headers => Some(s.since + limits.header_read_timeout),
        Phase::Idle => Some(s.since + limits.idle_timeout),
        Phase::Busy | Phase::Body => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn deadlines_follow_the_phase() {
        let a = Conn::new(Instant::now());
        let t0 = Instant::now();
        let l = Limits::example();
        assert_eq!(a.deadline(&l, false), Some(t0 + l.header_read_timeout));
        let n = a.request_started();
        assert_eq!(a.deadline(&l, false), None);
        a.body_waiting();
        assert_eq!(a.deadline(&l, false), None);
        a.body_progress();
        tokio::time::advance(Duration::from_secs(5)).await;
        a.request_finished(n);
        let t1 = Instant::now();
        assert_eq!(a.deadline(&l, false), Some(t1 + l.idle_timeout));
        // The idle timeout, not the header timeout, runs between requests; the header
        // timeout starts with the next request's first byte.
        tokio::time::advance(Duration::from_secs(30)).await;
        a.bytes_read();
        let t2 = Instant::now();
        assert_eq!(a.deadline(&l, false), Some(t2 + l.header_read_timeout));
        // A stale end of request does not make a later request idle.
        let m = a.request_started();
        a.request_finished(n);
        assert_eq!(a.phase(), Phase::Busy);
        a.request_finished(m);
        // Draining closes connections waiting on their client at once.
        assert!(a.deadline(&l, true).unwrap() <= Instant::now());
    }
}
