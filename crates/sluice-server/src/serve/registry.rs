//! Every open client connection, what it is waiting for, and since when: the accept loop
//! asks it whether a new connection may come in, and each connection's watchdog asks it
//! when to close.
//!
//! Why phases: an attacker holds a connection by not sending (headers, body, or the next
//! request). Those waits are exactly the phases in which closing a connection loses
//! nothing the server has started on, so at the cap the connection that has waited longest
//! is closed to make room for the new one, rather than refusing new clients. A connection
//! whose request the server is working on ([`Phase::Busy`]) is never chosen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
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
    fn new(now: Instant) -> Self {
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

    #[cfg(test)]
    pub fn phase(&self) -> Phase {
        self.lock().phase
    }
}

fn deadline_of(s: &State, limits: &Limits, draining: bool) -> Option<Instant> {
    let waiting_on_client = matches!(s.phase, Phase::Headers | Phase::Idle);
    if s.evicted || (draining && waiting_on_client) {
        // Already past: close at once.
        return Some(s.since);
    }
    match s.phase {
        Phase::Headers => Some(s.since + limits.header_read_timeout),
        Phase::Idle => Some(s.since + limits.idle_timeout),
        Phase::Busy | Phase::Body => None,
    }
}

/// Descriptors that evicted connections, told to close but not yet closed, may hold beyond
/// the cap; part of `limits::RESERVED_FDS`.
pub const CLOSING_SLACK: usize = 32;

/// Why a connection cannot be admitted now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// Every connection is busy with a request: none can be closed for a newcomer.
    Busy,
    /// Evicted connections have not closed yet and hold all the slack.
    Closing,
}

/// All open connections.
#[derive(Debug)]
pub struct Registry {
    inner: Mutex<Inner>,
    /// Woken whenever a connection closes (admission waiting on evictions, the drain).
    closed: Notify,
    max: usize,
    /// How many connections one eviction closes. More than one, so that under a flood the
    /// O(n) scan runs once per batch rather than once per accept; few, so that the
    /// descriptors of evicted but not yet closed connections stay within the slack.
    batch: usize,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    conns: HashMap<u64, Arc<Conn>>,
    /// Connections told to close that have not closed yet (they still hold a descriptor).
    evicting: usize,
}

/// Membership of one connection; leaving the registry when dropped.
pub struct Admitted {
    registry: Arc<Registry>,
    id: u64,
    /// The connection's state.
    pub conn: Arc<Conn>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut inner = self.registry.lock();
        if inner.conns.remove(&self.id).is_some() && self.conn.lock().evicted {
            inner.evicting -= 1;
        }
        drop(inner);
        self.registry.closed.notify_waiters();
    }
}

impl Registry {
    /// A registry admitting at most `max` connections.
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::default(),
            closed: Notify::new(),
            max: max.max(1),
            batch: (max / 64).clamp(1, 16),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits a new connection, first telling the longest-waiting ones to close if the cap
    /// is reached.
    pub fn try_admit(self: &Arc<Self>) -> Result<Admitted, Full> {
        let mut inner = self.lock();
        let live = inner.conns.len() - inner.evicting;
        if live >= self.max && evict(&mut inner, self.batch) == 0 {
            return Err(Full::Busy);
        }
        if inner.conns.len() >= self.max + CLOSING_SLACK {
            return Err(Full::Closing);
        }
        inner.next_id += 1;
        let id = inner.next_id;
        let conn = Arc::new(Conn::new(Instant::now()));
        inner.conns.insert(id, conn.clone());
        Ok(Admitted {
            registry: self.clone(),
            id,
            conn,
        })
    }

    /// [`Self::try_admit`], waiting up to `patience` for evicted connections to close
    /// when they hold the slack (under a flood, accepting outruns their tasks).
    pub async fn admit(self: &Arc<Self>, patience: Duration) -> Result<Admitted, Full> {
        let until = Instant::now() + patience;
        loop {
            let closed = self.closed.notified();
            match self.try_admit() {
                Err(Full::Closing) => {
                    if tokio::time::timeout_at(until, closed).await.is_err() {
                        return Err(Full::Closing);
                    }
                }
                decided => return decided,
            }
        }
    }

    /// Closes a batch of the longest-waiting connections, for when `accept` itself failed
    /// for want of descriptors. Returns how many were told to close.
    pub fn relieve(&self) -> usize {
        evict(&mut self.lock(), self.batch)
    }

    /// Open connections (including those told to close that have not yet).
    pub fn open(&self) -> usize {
        self.lock().conns.len()
    }

    /// Resolves once every connection has closed.
    pub async fn drained(&self) {
        loop {
            let closed = self.closed.notified();
            if self.lock().conns.is_empty() {
                return;
            }
            closed.await;
        }
    }
}

/// Marks up to `n` of the longest-waiting, not busy connections evicted and wakes their
/// watchdogs; returns how many.
fn evict(inner: &mut Inner, n: usize) -> usize {
    let mut candidates: Vec<(Instant, &Arc<Conn>)> = inner
        .conns
        .values()
        .filter_map(|c| {
            let s = c.lock();
            (!s.evicted && s.phase != Phase::Busy).then_some((s.since, c))
        })
        .collect();
    let n = n.min(candidates.len());
    if n == 0 {
        return 0;
    }
    if n < candidates.len() {
        candidates.select_nth_unstable_by_key(n - 1, |(since, _)| *since);
    }
    for (_, c) in &candidates[..n] {
        c.lock().evicted = true;
        c.wake.notify_one();
    }
    inner.evicting += n;
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 3,
            max_body_bytes: 1024,
            open_files: None,
        }
    }

    fn evicted(a: &Admitted) -> bool {
        a.conn.lock().evicted
    }

    #[tokio::test(start_paused = true)]
    async fn at_the_cap_the_longest_waiting_connection_makes_room() {
        let reg = Registry::new(3);
        let first = reg.try_admit().unwrap();
        tokio::time::advance(Duration::from_secs(1)).await;
        let busy = reg.try_admit().unwrap();
        busy.conn.request_started();
        tokio::time::advance(Duration::from_secs(1)).await;
        let uploading = reg.try_admit().unwrap();
        uploading.conn.request_started();
        uploading.conn.body_waiting();
        assert_eq!(uploading.conn.phase(), Phase::Body);
        tokio::time::advance(Duration::from_secs(1)).await;
        // The cap is reached: the oldest connection not busy with a request goes.
        let fourth = reg.try_admit().unwrap();
        assert!(evicted(&first));
        assert!(!evicted(&busy) && !evicted(&uploading) && !evicted(&fourth));
        assert!(first.conn.deadline(&limits(), false).unwrap() <= Instant::now());
        drop(first);
        // A stalled body is a wait on the client too: it goes before the newer connection.
        let fifth = reg.try_admit().unwrap();
        assert!(evicted(&uploading) && !evicted(&fourth) && !evicted(&busy));
        drop((uploading, fourth, fifth));
        assert_eq!(reg.open(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn when_every_connection_is_busy_new_ones_are_shed() {
        let reg = Registry::new(2);
        let held: Vec<_> = (0..2).map(|_| reg.try_admit().unwrap()).collect();
        for a in &held {
            a.conn.request_started();
        }
        assert_eq!(reg.try_admit().err(), Some(Full::Busy));
        assert_eq!(reg.relieve(), 0);
        held[0].conn.request_finished(1);
        assert!(reg.try_admit().is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_follow_the_phase() {
        let reg = Registry::new(4);
        let a = reg.try_admit().unwrap();
        let t0 = Instant::now();
        let l = limits();
        assert_eq!(a.conn.deadline(&l, false), Some(t0 + l.header_read_timeout));
        let n = a.conn.request_started();
        assert_eq!(a.conn.deadline(&l, false), None);
        a.conn.body_waiting();
        assert_eq!(a.conn.deadline(&l, false), None);
        a.conn.body_progress();
        tokio::time::advance(Duration::from_secs(5)).await;
        a.conn.request_finished(n);
        let t1 = Instant::now();
        assert_eq!(a.conn.deadline(&l, false), Some(t1 + l.idle_timeout));
        // The idle timeout, not the header timeout, runs between requests; the header
        // timeout starts with the next request's first byte.
        tokio::time::advance(Duration::from_secs(30)).await;
        a.conn.bytes_read();
        let t2 = Instant::now();
        assert_eq!(a.conn.deadline(&l, false), Some(t2 + l.header_read_timeout));
        // A stale end of request does not make a later request idle.
        let m = a.conn.request_started();
        a.conn.request_finished(n);
        assert_eq!(a.conn.phase(), Phase::Busy);
        a.conn.request_finished(m);
        // Draining closes connections waiting on their client at once.
        assert!(a.conn.deadline(&l, true).unwrap() <= Instant::now());
    }

    #[tokio::test(start_paused = true)]
    async fn a_flood_waits_for_evicted_connections_to_close() {
        let reg = Registry::new(1);
        let mut held = vec![reg.try_admit().unwrap()];
        // Each newcomer evicts the previous one, which has not closed yet.
        for _ in 0..CLOSING_SLACK {
            held.push(reg.try_admit().unwrap());
        }
        assert_eq!(reg.try_admit().err(), Some(Full::Closing));
        let waiting = tokio::spawn({
            let reg = reg.clone();
            async move { reg.admit(Duration::from_secs(1)).await }
        });
        tokio::task::yield_now().await;
        drop(held.remove(0));
        let _admitted = waiting.await.unwrap().expect("admitted once one closed");
        // Nobody closes: the wait ends after the patience.
        assert_eq!(
            reg.admit(Duration::from_millis(100)).await.err(),
            Some(Full::Closing)
        );
    }

    #[tokio::test]
    async fn drained_resolves_when_the_last_connection_closes() {
        let reg = Registry::new(4);
        let a = reg.try_admit().unwrap();
        let wait = tokio::spawn({
            let reg = reg.clone();
            async move { reg.drained().await }
        });
        tokio::task::yield_now().await;
        assert!(!wait.is_finished());
        drop(a);
        wait.await.unwrap();
    }
}
