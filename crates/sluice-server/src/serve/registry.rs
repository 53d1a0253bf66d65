//! Every open client connection: the accept loop asks the registry whether a new one may
//! come in. Below the cap it may; at the cap the connections that have waited longest on
//! their client (see [`super::phase`]) are told to close to make room, rather than refusing
//! new clients; only when every connection is busy with a request is a newcomer refused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::phase::Conn;

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
        if inner.conns.remove(&self.id).is_some() && self.conn.evicted() {
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

/// Tells up to `n` of the longest-waiting, not busy connections to close; returns how many.
fn evict(inner: &mut Inner, n: usize) -> usize {
    let mut candidates: Vec<(Instant, &Arc<Conn>)> = inner
        .conns
        .values()
        .filter_map(|c| c.eviction_key().map(|since| (since, c)))
        .collect();
    let n = n.min(candidates.len());
    if n == 0 {
        return 0;
    }
    if n < candidates.len() {
        candidates.select_nth_unstable_by_key(n - 1, |(since, _)| *since);
    }
    for (_, c) in &candidates[..n] {
        c.evict();
    }
    inner.evicting += n;
    n
}

#[cfg(test)]
mod tests {
    use crate::serve::limits::Limits;
    use crate::serve::phase::Phase;

    use super::*;

    fn evicted(a: &Admitted) -> bool {
        a.conn.evicted()
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
        assert!(first.conn.deadline(&Limits::example(), false).unwrap() <= Instant::now());
        // Had its request begun meanwhile, it would be answered first, then closed.
        let n = first.conn.request_started();
        assert_eq!(first.conn.deadline(&Limits::example(), false), None);
        first.conn.request_finished(n);
        assert!(first.conn.deadline(&Limits::example(), false).unwrap() <= Instant::now());
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
