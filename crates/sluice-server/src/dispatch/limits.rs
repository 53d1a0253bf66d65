//! Per-endpoint concurrency and per-application shares: how many claimed deliveries each
//! endpoint and each application has in this process, and a semaphore per endpoint that lets
//! at most `cap` of them send at once.
//!
//! While the process has spare capacity (more than half its in-flight permits free), an
//! endpoint may hold up to [`HOLD_FACTOR`] × `cap` claims: `cap` sending and the rest queued
//! behind them. The queued ones hide the claim's round trip through the writer: when a send
//! finishes, the next delivery is already in memory instead of waiting for the next claim
//! (measured on one endpoint at the default cap: ~5.8k → ~7.2k deliveries/s end to end).
//! Without spare capacity the bound is `cap`, so queued claims never crowd out other
//! endpoints' sends. The dispatcher loop excludes endpoints at their bound from its claims,
//! and a claim adds at most `cap` per endpoint, so an endpoint holds at most
//! `(HOLD_FACTOR + 1) × cap − 1` claims; the lease (2 × timeout + 30 s) outlasts the wait of
//! the last one queued.
//!
//! An application holds at most `app_share` claims (`max_in_flight_per_app`): the loop
//! passes each application's remaining room to the claim, which takes no more. So endpoints
//! that accept and never answer hold at most their application's share of the process until
//! the request timeout, and the other applications keep the rest (issue 6: one tenant's 33
//! hanging endpoints had filled all 1,024 slots). Within an application, an endpoint queues
//! beyond its send cap only while the application has more than half its share free, so
//! queued claims stop once the application holds half its share and the rest goes to
//! sends. (A share below `2 × HOLD_FACTOR × cap` therefore trims one endpoint's queue; the
//! defaults, 256 and 32, do not.)
//!
//! Entries exist only while an endpoint or application has claims in flight, so memory is
//! bounded by the in-flight work.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// Claims an endpoint may hold, as a multiple of its send cap.
pub const HOLD_FACTOR: usize = 2;

struct Entry {
    app_id: String,
    count: usize,
    sem: Arc<Semaphore>,
}

#[derive(Default)]
struct Counts {
    endpoints: HashMap<String, Entry>,
    /// Claims held per application.
    apps: HashMap<String, usize>,
}

/// What the next claim must leave out or bound.
pub struct Exclusions {
    /// Endpoints at their bound.
    pub endpoints: Vec<String>,
    /// Every application holding claims, with how many more it may take (0: at its share).
    pub app_room: HashMap<String, usize>,
}

impl Exclusions {
    /// Some due work may be held back by a bound (the loop then rechecks less eagerly).
    pub fn any(&self) -> bool {
        !self.endpoints.is_empty() || self.app_room.values().any(|&r| r == 0)
    }
}

/// The per-endpoint and per-application counts, and the endpoints' send slots.
pub struct Limits {
    cap: usize,
    app_share: usize,
    counts: Mutex<Counts>,
    /// Signalled when an endpoint or an application drops below a bound, so excluded work
    /// may be claimed.
    freed: Notify,
}

impl Limits {
    /// Limits allowing `cap` concurrent sends per endpoint and `app_share` claims held per
    /// application.
    pub fn new(cap: usize, app_share: usize) -> Arc<Self> {
        Arc::new(Self {
            cap: cap.max(1),
            app_share: app_share.max(1),
            counts: Mutex::new(Counts::default()),
            freed: Notify::new(),
        })
    }

    /// The per-endpoint cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// The per-application share.
    pub fn app_share(&self) -> usize {
        self.app_share
    }

    /// Claims one endpoint may hold before it is excluded from claims.
    fn hold(&self) -> usize {
        HOLD_FACTOR * self.cap
    }

    /// An application with fewer claims than this may still let its endpoints queue claims
    /// beyond their send cap.
    fn app_spare_below(&self) -> usize {
        self.app_share.div_ceil(2)
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        // The maps hold plain counters; a panic elsewhere cannot leave them inconsistent.
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the next claim must leave out; `spare` = the process has capacity to queue
    /// claims beyond the send cap. An endpoint may queue beyond its cap only while its
    /// application also has more than half its share free.
    pub fn exclusions(&self, spare: bool) -> Exclusions {
        let counts = self.lock();
        let endpoints = counts
            .endpoints
            .iter()
            .filter(|(_, e)| {
                let app_spare =
                    counts.apps.get(&e.app_id).copied().unwrap_or(0) < self.app_spare_below();
                let bound = if spare && app_spare {
                    self.hold()
                } else {
                    self.cap
                };
                e.count >= bound
            })
            .map(|(id, _)| id.clone())
            .collect();
        let app_room = counts
            .apps
            .iter()
            .map(|(id, &n)| (id.clone(), self.app_share.saturating_sub(n)))
            .collect();
        Exclusions {
            endpoints,
            app_room,
        }
    }

    /// Counts one claimed delivery against its endpoint and application until the returned
    /// slot is dropped.
    pub fn assign(self: &Arc<Self>, endpoint_id: &str, app_id: &str) -> Slot {
        let mut counts = self.lock();
        *counts.apps.entry(app_id.to_owned()).or_default() += 1;
        let entry = counts
            .endpoints
            .entry(endpoint_id.to_owned())
            .or_insert_with(|| Entry {
                app_id: app_id.to_owned(),
                count: 0,
                sem: Arc::new(Semaphore::new(self.cap)),
            });
        entry.count += 1;
        Slot {
            limits: self.clone(),
            endpoint_id: endpoint_id.to_owned(),
            sem: entry.sem.clone(),
            permit: None,
        }
    }

    /// Resolves after some endpoint or application dropped below a bound (or immediately if
    /// one did since the last call).
    pub fn freed(&self) -> tokio::sync::futures::Notified<'_> {
        self.freed.notified()
    }

    fn release(&self, endpoint_id: &str) {
        let mut counts = self.lock();
        let Some(entry) = counts.endpoints.get_mut(endpoint_id) else {
            return;
        };
        entry.count -= 1;
        let (left, app_id) = (entry.count, entry.app_id.clone());
        let mut freed = left + 1 == self.hold() || left + 1 == self.cap;
        if left == 0 {
            counts.endpoints.remove(endpoint_id);
        }
        if let Some(n) = counts.apps.get_mut(&app_id) {
            *n -= 1;
            freed |= *n + 1 == self.app_share || *n + 1 == self.app_spare_below();
            if *n == 0 {
                counts.apps.remove(&app_id);
            }
        }
        if freed {
            self.freed.notify_one();
        }
    }
}

/// One claimed delivery's place at its endpoint. Dropping it frees the place and, if held,
/// the send permit.
pub struct Slot {
    limits: Arc<Limits>,
    endpoint_id: String,
    sem: Arc<Semaphore>,
    permit: Option<OwnedSemaphorePermit>,
}

impl Slot {
    /// Waits until fewer than `cap` deliveries to this endpoint are sending.
    pub async fn acquire(&mut self) {
        if self.permit.is_none() {
            let permit = self
                .sem
                .clone()
                .acquire_owned()
                .await
                .expect("endpoint semaphores are never closed");
            self.permit = Some(permit);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.permit.take();
        self.limits.release(&self.endpoint_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    fn ready<F: Future>(f: std::pin::Pin<&mut F>) -> bool {
        matches!(
            f.poll(&mut Context::from_waker(Waker::noop())),
            Poll::Ready(_)
        )
    }

    #[tokio::test]
    async fn saturation_send_slots_and_release() {
        // cap 2: two send at once, up to 4 held (two queued behind the senders).
        let limits = Limits::new(2, 100);
        let mut a = limits.assign("ep_a", "app_1");
        let mut b = limits.assign("ep_a", "app_1");
        let mut c = limits.assign("ep_a", "app_1");
        let _e = limits.assign("ep_b", "app_1");
        assert!(
            limits.exclusions(true).endpoints.is_empty(),
            "3 held < 4: still claimable"
        );
        assert_eq!(
            limits.exclusions(false).endpoints,
            vec!["ep_a".to_owned()],
            "without spare capacity the bound is the send cap"
        );
        let d = limits.assign("ep_a", "app_1");
        assert_eq!(limits.exclusions(true).endpoints, vec!["ep_a".to_owned()]);

        a.acquire().await;
        b.acquire().await;
        {
            // The third claim waits for a send slot.
            let mut waiting = pin!(c.acquire());
            assert!(!ready(waiting.as_mut()));
            // Nothing freed yet: nothing to wake the loop for.
            assert!(!ready(pin!(limits.freed())));
            drop(a);
            assert!(ready(waiting.as_mut()));
        }
        // Dropping below the hold bound wakes the loop and makes ep_a claimable again.
        assert!(ready(pin!(limits.freed())));
        assert!(limits.exclusions(true).endpoints.is_empty());
        drop((b, c, d));
        assert_eq!(
            limits.lock().endpoints.len(),
            1,
            "ep_a is forgotten once idle"
        );
    }

    #[tokio::test]
    async fn application_share() {
        // Share 4, cap 2: the application may hold 4 claims in all, and once it holds half
        // its share its endpoints stop queueing beyond their send cap.
        let limits = Limits::new(2, 4);
        let a1 = limits.assign("ep_a", "app_1");
        assert!(limits.exclusions(true).endpoints.is_empty());
        let a2 = limits.assign("ep_a", "app_1");
        let ex = limits.exclusions(true);
        assert_eq!(
            ex.endpoints,
            vec!["ep_a".to_owned()],
            "app half full: bound is the cap"
        );
        assert_eq!(ex.app_room["app_1"], 2);
        let b = [
            limits.assign("ep_b", "app_1"),
            limits.assign("ep_c", "app_1"),
        ];
        let _other = limits.assign("ep_x", "app_2");
        let ex = limits.exclusions(true);
        assert_eq!(ex.app_room["app_1"], 0, "at its share");
        assert_eq!(ex.app_room["app_2"], 3);
        assert!(ex.any());
        // Dropping below the share wakes the loop.
        assert!(!ready(pin!(limits.freed())));
        drop(a1);
        assert!(ready(pin!(limits.freed())));
        assert_eq!(limits.exclusions(true).app_room["app_1"], 1);
        drop((a2, b));
        assert!(
            !limits.exclusions(true).app_room.contains_key("app_1"),
            "forgotten once idle"
        );
    }
}
