//! Delivery control per endpoint: the throttle (GCRA), the `Retry-After` pause, the circuit
//! breaker and the failing-since clock of auto-disable, as one state row and pure functions
//! over it.
//!
//! Both store backends keep an [`EndpointControl`] per endpoint (table `endpoint_state`; no
//! row = the default) and call these functions inside their claim and outcome
//! transactions, so the rules are the same on SQLite and PostgreSQL and hold across nodes
//! (the PostgreSQL claim is serialised cluster-wide, outcomes lock the rows they change).
//!
//! - **Claim** ([`EndpointControl::admit`], [`EndpointControl::reserve`]): an endpoint whose
//!   circuit is open, or that is paused by a `Retry-After`, takes nothing; a throttled one
//!   takes at most what its rate allows within [`HORIZON_MS`], each delivery with a send
//!   time (`not_before`) `1/rate` after the previous one; when an open circuit's cool-down
//!   is over it takes exactly one probe.
//! - **Outcome** ([`EndpointControl::observe`]): successes close the circuit and clear the
//!   failing clock; failures count towards [`ControlPolicy::failure_threshold`] and start
//!   the failing clock; a throttled answer pauses the endpoint instead of counting.

use crate::retry::OutcomeClass;
use crate::Millis;

/// How far ahead a claim reserves send times of a throttled endpoint.
pub const HORIZON_MS: Millis = 1_000;

/// Pause after a 429 (or 503 with `Retry-After`) that named no time.
pub const DEFAULT_THROTTLE_PAUSE_MS: Millis = 5_000;

/// Longest pause a `Retry-After` imposes on an endpoint.
pub const MAX_THROTTLE_PAUSE_MS: Millis = crate::retry::MAX_RETRY_AFTER_MS;

/// The thresholds of the breaker and of auto-disable (server config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlPolicy {
    /// Consecutive failed tries that open the circuit (`circuit_failure_threshold`).
    pub failure_threshold: u32,
    /// First cool-down of an open circuit (`circuit_cooldown_secs`).
    pub cooldown_ms: Millis,
    /// Longest cool-down; each failed probe doubles it up to this (`circuit_max_cooldown_secs`).
    pub max_cooldown_ms: Millis,
    /// An endpoint failing without a success for this long is disabled
    /// (`endpoint_disable_after_secs`).
    pub disable_after_ms: Millis,
}

impl Default for ControlPolicy {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            cooldown_ms: 30_000,
            max_cooldown_ms: 900_000,
            disable_after_ms: 5 * 86_400_000,
        }
    }
}

/// The circuit of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Circuit {
    /// Deliveries flow.
    #[default]
    Closed,
    /// Deliveries wait until `open_until`, when one probe goes.
    Open,
    /// A probe is in flight; nothing else goes until its outcome (or until `open_until`,
    /// the probe's lease, if its outcome never comes).
    HalfOpen,
}

impl Circuit {
    /// The stored number.
    pub fn as_i64(self) -> i64 {
        match self {
            Self::Closed => 0,
            Self::Open => 1,
            Self::HalfOpen => 2,
        }
    }

    /// From the stored number (unknown → closed).
    pub fn from_i64(v: i64) -> Self {
        match v {
            1 => Self::Open,
            2 => Self::HalfOpen,
            _ => Self::Closed,
        }
    }

    /// The API's name (`closed`, `open`, `halfOpen`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "halfOpen",
        }
    }
}

/// One endpoint's control state, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EndpointControl {
    /// GCRA theoretical arrival time: the earliest send time of the next delivery of a
    /// throttled endpoint (0: none reserved).
    pub next_send_at: Millis,
    /// No delivery goes before this (a `Retry-After`); 0: none.
    pub paused_until: Millis,
    /// Consecutive failed tries (throttled answers do not count).
    pub failures: u32,
    /// First failure after the last success; `None` while healthy.
    pub failing_since: Option<Millis>,
    /// The circuit.
    pub circuit: Circuit,
    /// Open: when the probe may go. Half-open: when the probe's claim expires.
    pub open_until: Millis,
    /// The cool-down of the current opening (0 while closed).
    pub cooldown_ms: Millis,
}

/// Why an endpoint's due deliveries are not claimed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Its throttle rate has no room within the horizon.
    Rate,
    /// It answered 429 (or 503) with a pause that has not ended.
    RetryAfter,
    /// Its circuit is open (or its probe is in flight).
    Circuit,
}

impl Hold {
    /// The metric label (`rate`, `retry_after`, `circuit`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rate => "rate",
            Self::RetryAfter => "retry_after",
            Self::Circuit => "circuit",
        }
    }
}

/// What a claim may take of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Nothing before `until`.
    Held {
        /// Why.
        by: Hold,
        /// When the endpoint may take work again (as far as its state says).
        until: Millis,
    },
    /// At most `max` deliveries (`usize::MAX`: no limit of its own); `probe`: exactly one,
    /// the half-open probe.
    Open {
        /// Most deliveries.
        max: usize,
        /// This claim is the circuit's probe.
        probe: bool,
    },
}

/// Milliseconds between sends at `rate` per second, rounded up so the rate is never
/// exceeded (a rate above 1,000/s is sent at 1,000/s).
pub fn interval_ms(rate: u32) -> Millis {
    Millis::from(1000u32.div_ceil(rate.max(1)).max(1))
}

/// What the circuit and pause changes of a batch of outcomes did to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transitions {
    /// The circuit opened (or reopened after a failed probe): `(failures, until)`.
    pub opened: Option<(u32, Millis)>,
    /// The circuit closed (a success while it was open or half-open).
    pub closed: bool,
    /// The endpoint has failed without a success since this time for longer than the
    /// policy allows: disable it.
    pub disable_since: Option<Millis>,
}

impl EndpointControl {
    /// What a claim at `now` may take; `rate` is the endpoint's effective throttle rate.
    pub fn admit(&self, rate: Option<u32>, now: Millis) -> Admission {
        match self.circuit {
            Circuit::Open | Circuit::HalfOpen if now < self.open_until => {
                return Admission::Held {
                    by: Hold::Circuit,
                    until: self.open_until,
                }
            }
            Circuit::Open | Circuit::HalfOpen => {}
            Circuit::Closed => {}
        }
        if now < self.paused_until {
            return Admission::Held {
                by: Hold::RetryAfter,
                until: self.paused_until,
            };
        }
        let probe = self.circuit != Circuit::Closed;
        let max = match rate {
            None => usize::MAX,
            Some(r) => {
                let start = self.next_send_at.max(now);
                let last = now + HORIZON_MS;
                // Claim again once half the horizon is used, so a throttled endpoint costs
                // a claim every half horizon rather than one per delivery.
                if start > now + HORIZON_MS / 2 {
                    return Admission::Held {
                        by: Hold::Rate,
                        until: start - HORIZON_MS / 2,
                    };
                }
                usize::try_from((last - start) / interval_ms(r) + 1).unwrap_or(usize::MAX)
            }
        };
        Admission::Open {
            max: if probe { 1 } else { max },
            probe,
        }
    }

    /// The earliest time a claim may take work of this endpoint, as far as its control
    /// state says (a time in the past: now). Needs no `now`, so the next due time can be
    /// computed without reading the clock.
    pub fn available_from(&self, rate: Option<u32>) -> Millis {
        let circuit = match self.circuit {
            Circuit::Closed => 0,
            Circuit::Open | Circuit::HalfOpen => self.open_until,
        };
        let throttle = match rate {
            Some(_) => self.next_send_at - HORIZON_MS / 2,
            None => 0,
        };
        circuit.max(self.paused_until).max(throttle)
    }

    /// Reserves send times for `n` deliveries claimed at `now` (`n` no more than
    /// [`EndpointControl::admit`] allowed) and marks a probe; returns each delivery's
    /// `not_before`, in order.
    pub fn reserve(
        &mut self,
        n: usize,
        rate: Option<u32>,
        probe: bool,
        now: Millis,
        lease_ms: Millis,
    ) -> Vec<Millis> {
        if probe && n > 0 {
            self.circuit = Circuit::HalfOpen;
            // If the probe's outcome never comes (its process died), another probe may go
            // once its lease is over.
            self.open_until = now.saturating_add(lease_ms);
        }
        match rate {
            None => vec![now; n],
            Some(r) => {
                let step = interval_ms(r);
                let mut at = self.next_send_at.max(now);
                let times = (0..n)
                    .map(|_| {
                        let t = at;
                        at += step;
                        t
                    })
                    .collect();
                if n > 0 {
                    self.next_send_at = at;
                }
                times
            }
        }
    }

    /// Applies one try made at `at` of class `class` (with its `Retry-After`), under
    /// `policy`; returns what changed. Call in the order the tries were made.
    pub fn observe(
        &mut self,
        class: OutcomeClass,
        at: Millis,
        retry_after_ms: Option<Millis>,
        policy: &ControlPolicy,
    ) -> Transitions {
        let mut t = Transitions::default();
        match class {
            OutcomeClass::Success => {
                self.failures = 0;
                self.failing_since = None;
                if self.circuit != Circuit::Closed {
                    self.circuit = Circuit::Closed;
                    self.open_until = 0;
                    self.cooldown_ms = 0;
                    t.closed = true;
                }
            }
            OutcomeClass::Throttled => {
                let pause = retry_after_ms
                    .unwrap_or(DEFAULT_THROTTLE_PAUSE_MS)
                    .clamp(0, MAX_THROTTLE_PAUSE_MS);
                self.paused_until = self.paused_until.max(at + pause);
                self.failing_since.get_or_insert(at);
                if self.circuit == Circuit::HalfOpen {
                    // The probe was answered "slow down": not a verdict; probe again after
                    // the pause.
                    self.circuit = Circuit::Open;
                    self.open_until = self.paused_until;
                }
            }
            _ => {
                self.failures = self.failures.saturating_add(1);
                self.failing_since.get_or_insert(at);
                match self.circuit {
                    Circuit::HalfOpen => {
                        let cooldown = (self.cooldown_ms.max(policy.cooldown_ms) * 2)
                            .min(policy.max_cooldown_ms);
                        self.open(at, cooldown, &mut t);
                    }
                    Circuit::Closed if self.failures >= policy.failure_threshold.max(1) => {
                        self.open(at, policy.cooldown_ms.min(policy.max_cooldown_ms), &mut t);
                    }
                    // Open: a late outcome of a delivery claimed before it opened.
                    Circuit::Closed | Circuit::Open => {}
                }
            }
        }
        if class != OutcomeClass::Success {
            if let Some(since) = self.failing_since {
                if at - since >= policy.disable_after_ms {
                    t.disable_since = Some(since);
                }
            }
        }
        t
    }

    fn open(&mut self, at: Millis, cooldown: Millis, t: &mut Transitions) {
        self.circuit = Circuit::Open;
        self.cooldown_ms = cooldown;
        self.open_until = at + cooldown;
        t.opened = Some((self.failures, self.open_until));
    }
}

/// One endpoint's share of a batch of outcomes: its tries `(at, class, retry_after_ms)` and
/// the time of a 410 if it answered one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointTries {
    /// The tries made.
    pub tries: Vec<(Millis, OutcomeClass, Option<Millis>)>,
    /// When it answered 410 Gone (the latest), if it did.
    pub gone_at: Option<Millis>,
}

/// What a batch of tries did to an endpoint's control state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Folded {
    /// The state after the batch.
    pub state: EndpointControl,
    /// The circuit ended the batch opened: `(failures, until)`.
    pub opened: Option<(u32, Millis)>,
    /// The circuit was open (or half-open) before the batch and ended it closed.
    pub closed: bool,
    /// Disable it: `(at, fail_since, gone)`.
    pub disable: Option<(Millis, Option<Millis>, bool)>,
}

impl EndpointTries {
    /// Folds the tries, in time order, into `state` under `policy`.
    pub fn fold(&self, state: EndpointControl, policy: &ControlPolicy) -> Folded {
        let mut tries = self.tries.clone();
        tries.sort_by_key(|t| t.0);
        let mut f = Folded {
            state,
            opened: None,
            closed: false,
            disable: None,
        };
        for &(at, class, retry_after) in &tries {
            let t = f.state.observe(class, at, retry_after, policy);
            if let Some(o) = t.opened {
                f.opened = Some(o);
                f.closed = false;
            }
            if t.closed {
                f.closed = true;
                f.opened = None;
            }
            if let Some(since) = t.disable_since {
                f.disable.get_or_insert((at, Some(since), false));
            }
        }
        if let Some(at) = self.gone_at {
            f.disable = Some((at, f.state.failing_since, true));
        }
        // Opened and closed again within the batch: nothing to report.
        f.closed &= state.circuit != Circuit::Closed;
        f
    }
}

/// Groups a batch of outcomes by endpoint (`endpoint_of` names an outcome's endpoint; a
/// release without a try and without a disable has none that matters).
pub fn group_by_endpoint<'a>(
    outcomes: &'a [crate::queue::Outcome],
    mut endpoint_of: impl FnMut(&'a crate::queue::Outcome) -> Option<String>,
) -> std::collections::BTreeMap<String, EndpointTries> {
    // A disable without a try is dated by the batch's latest try.
    let fallback = outcomes
        .iter()
        .filter_map(|o| o.attempt.as_ref().map(|a| a.created_at))
        .max()
        .unwrap_or(0);
    let mut by: std::collections::BTreeMap<String, EndpointTries> = Default::default();
    for o in outcomes {
        if o.attempt.is_none() && !o.disable_endpoint {
            continue;
        }
        let Some(ep) = endpoint_of(o) else {
            continue;
        };
        let entry = by.entry(ep).or_default();
        let at = o.attempt.as_ref().map_or(fallback, |a| a.created_at);
        if let Some(class) = o.class() {
            entry.tries.push((at, class, o.retry_after_ms));
        }
        if o.disable_endpoint {
            entry.gone_at = Some(entry.gone_at.map_or(at, |g| g.max(at)));
        }
    }
    by
}

#[cfg(test)]
mod tests;
