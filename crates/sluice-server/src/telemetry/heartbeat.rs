//! When the dispatcher last made progress, for `/api/v1/health`.
//!
//! The dispatcher beats after every completed claim pass (the background loop makes one at
//! least every second while it runs, and [`Dispatcher::step`](crate::dispatch::Dispatcher::step)
//! one per step) and after every finished try, with the time of the injected clock. A node
//! that runs a dispatcher arms the heartbeat when the dispatcher starts; an unarmed one
//! (a role that does not dispatch, or a server built without its dispatcher) is reported as
//! `disabled`, not as unhealthy.

use std::sync::atomic::{AtomicI64, Ordering};

use sluice_core::Millis;

/// The time of the last beat, or [`Heartbeat::UNARMED`].
#[derive(Debug)]
pub struct Heartbeat {
    last: AtomicI64,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Self {
            last: AtomicI64::new(Self::UNARMED),
        }
    }
}

impl Heartbeat {
    /// The stored value of a heartbeat no dispatcher has armed.
    const UNARMED: i64 = i64::MIN;

    /// A dispatcher starts at `now`: the heartbeat counts from here.
    pub fn arm(&self, now: Millis) {
        self.last.fetch_max(now, Ordering::Relaxed);
    }

    /// Progress at `now`. Does nothing until armed, so a dispatcher driven by hand (tests
    /// that step one) does not make a node look like it dispatches.
    pub fn beat(&self, now: Millis) {
        // Never back in time, never arming.
        let _ = self
            .last
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
                (last != Self::UNARMED && now > last).then_some(now)
            });
    }

    /// The last beat, `None` while unarmed.
    pub fn last(&self) -> Option<Millis> {
        let last = self.last.load(Ordering::Relaxed);
        (last != Self::UNARMED).then_some(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beats_count_once_armed_and_never_go_back() {
        let h = Heartbeat::default();
        h.beat(10);
        assert_eq!(h.last(), None, "a beat does not arm");
        h.arm(20);
        h.beat(15);
        assert_eq!(h.last(), Some(20));
        h.beat(30);
        assert_eq!(h.last(), Some(30));
    }
}
