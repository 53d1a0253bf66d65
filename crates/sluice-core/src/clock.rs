//! Where "now" comes from. Code that decides by time takes a [`Clock`] (or a `now` computed
//! from one) instead of reading the system time, so a test can hold time still or move it
//! by hours without waiting.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::Millis;

/// A source of the current time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Millis;
}

/// The system's wall clock: the one production uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        crate::now_millis()
    }
}

/// A clock that moves only when told to (tests, and a step of work pinned to one instant).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock standing at `at`.
    pub fn at(at: Millis) -> Self {
        Self(AtomicI64::new(at))
    }

    /// Moves the clock to `at` (backwards too, if a test wants that).
    pub fn set(&self, at: Millis) {
        self.0.store(at, Ordering::SeqCst);
    }

    /// Moves the clock forward by `by` milliseconds; returns the new time.
    pub fn advance(&self, by: Millis) -> Millis {
        self.0.fetch_add(by, Ordering::SeqCst) + by
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::at(1_000);
        assert_eq!(c.now(), 1_000);
        assert_eq!(c.advance(500), 1_500);
        assert_eq!(c.now(), 1_500);
        c.set(10);
        assert_eq!(c.now(), 10);
    }

    #[test]
    fn system_clock_is_the_wall_clock() {
        let before = crate::now_millis();
        let now = SystemClock.now();
        assert!(now >= before && now <= crate::now_millis());
    }
}
