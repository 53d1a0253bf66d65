//! The retry policy as data, and the classification of one try's outcome.
//!
//! The dispatcher makes a try, classifies it with [`classify`], and asks the
//! [`RetrySchedule`] what happens next. Keeping this pure lets the whole decision table be
//! unit-tested without a network or a clock.

use crate::Millis;

/// Seconds between tries of the default schedule (Svix-compatible): the first try is
/// immediate, then +5 s, +5 min, +30 min, +2 h, +5 h, +10 h, +10 h.
pub const DEFAULT_SCHEDULE_SECS: [u64; 7] = [5, 300, 1800, 7200, 18000, 36000, 36000];

/// Jitter applied to every scheduled delay, as a fraction (±20 %).
pub const JITTER: f64 = 0.2;

/// Longest `Retry-After` honoured beyond the scheduled delay.
pub const MAX_RETRY_AFTER_MS: Millis = 3_600_000;

/// Delays between consecutive tries; `delays.len() + 1` tries in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    delays_ms: Vec<Millis>,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self::from_secs(&DEFAULT_SCHEDULE_SECS)
    }
}

impl RetrySchedule {
    /// A schedule from seconds between tries (`SLUICE_RETRY_SCHEDULE=1,1,1`).
    pub fn from_secs(secs: &[u64]) -> Self {
        Self {
            delays_ms: secs.iter().map(|s| (*s as Millis) * 1000).collect(),
        }
    }

    /// A schedule from milliseconds between tries.
    pub fn from_millis(ms: &[Millis]) -> Self {
        Self {
            delays_ms: ms.to_vec(),
        }
    }

    /// Total tries in one round.
    pub fn max_attempts(&self) -> u32 {
        self.delays_ms.len() as u32 + 1
    }

    /// The base delay before try number `done + 1` of a round, after `done` tries failed;
    /// `None` once the round is exhausted.
    pub fn base_delay(&self, done: u32) -> Option<Millis> {
        let idx = done.checked_sub(1)? as usize;
        self.delays_ms.get(idx).copied()
    }
}

/// What one try's outcome means for the delivery. Drives the dispatcher's `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeClass {
    /// Any 2xx.
    Success,
    /// Network error, timeout or 5xx: retry on schedule.
    Transient,
    /// 429 (or 503 with `Retry-After`): back off, honouring `Retry-After`.
    Throttled,
    /// 410: the receiver says the endpoint is gone; disable it.
    Gone,
    /// 401/403: keep retrying on schedule; worth an operator's attention.
    Auth,
    /// Destination refused by the network policy (private address): no retries, the
    /// delivery fails at once (retrying cannot succeed until an operator changes
    /// `allowed_networks` and recovers it).
    Blocked,
    /// The TLS handshake failed (bad or expired certificate, wrong host name, a plain-HTTP
    /// server at an `https://` URL): no retries, as for `Blocked`.
    Tls,
    /// Any other non-2xx (3xx included: redirects are not followed).
    Other,
}

impl OutcomeClass {
    /// Stable name stored with the attempt.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Transient => "transient",
            Self::Throttled => "throttled",
            Self::Gone => "gone",
            Self::Auth => "auth",
            Self::Blocked => "blocked",
            Self::Tls => "tls",
            Self::Other => "other",
        }
    }

    /// The class of a stored name (see [`OutcomeClass::as_str`]).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "success" => Self::Success,
            "transient" => Self::Transient,
            "throttled" => Self::Throttled,
            "gone" => Self::Gone,
            "auth" => Self::Auth,
            "blocked" => Self::Blocked,
            "tls" => Self::Tls,
            "other" => Self::Other,
            _ => return None,
        })
    }

    /// Whether retrying cannot help, so the delivery fails at once.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Blocked | Self::Tls)
    }
}

/// Classifies a try by its HTTP status (`None` = no response: network error or timeout),
/// for a response without `Retry-After`.
pub fn classify(status: Option<u16>) -> OutcomeClass {
    classify_response(status, false)
}

/// Classifies a try by its HTTP status and whether the response carried a valid
/// `Retry-After`: a 503 that names a time is the receiver asking to slow down
/// (`Throttled`); without one it is an outage (`Transient`).
pub fn classify_response(status: Option<u16>, retry_after: bool) -> OutcomeClass {
    match status {
        None => OutcomeClass::Transient,
        Some(s) if (200..300).contains(&s) => OutcomeClass::Success,
        Some(429) => OutcomeClass::Throttled,
        Some(503) if retry_after => OutcomeClass::Throttled,
        Some(410) => OutcomeClass::Gone,
        Some(401 | 403) => OutcomeClass::Auth,
        Some(s) if s >= 500 => OutcomeClass::Transient,
        Some(_) => OutcomeClass::Other,
    }
}

/// Whether a `Retry-After` header of a response with this status is honoured.
pub fn honours_retry_after(status: u16) -> bool {
    matches!(status, 429 | 503)
}

/// What to do with a delivery after a failed try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try again at this time.
    RetryAt(Millis),
    /// No tries left in this round: the delivery fails (dead-letter).
    Exhausted,
}

/// Decides the next step after a failed try.
///
/// `done` = tries made in this round including the one that failed; `jitter` is a uniform
/// sample in `[-1, 1]` (passed in so tests are deterministic); `retry_after_ms` is the
/// parsed `Retry-After` of a 429/503, honoured when longer than the scheduled delay, up to
/// [`MAX_RETRY_AFTER_MS`].
pub fn next_step(
    schedule: &RetrySchedule,
    done: u32,
    now: Millis,
    jitter: f64,
    retry_after_ms: Option<Millis>,
) -> Next {
    let Some(base) = schedule.base_delay(done) else {
        return Next::Exhausted;
    };
    let jittered = (base as f64 * (1.0 + JITTER * jitter.clamp(-1.0, 1.0))).round() as Millis;
    let delay = match retry_after_ms {
        Some(ra) => ra.clamp(jittered, jittered + MAX_RETRY_AFTER_MS),
        None => jittered,
    };
    Next::RetryAt(now + delay.max(0))
}

/// Parses a `Retry-After` header value: delta-seconds or an HTTP date, relative to `now`.
pub fn parse_retry_after(value: &str, now: Millis) -> Option<Millis> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some((secs.min(86_400) as Millis) * 1000);
    }
    let at = chrono::DateTime::parse_from_rfc2822(v)
        .ok()?
        .timestamp_millis();
    Some((at - now).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_has_eight_tries() {
        let s = RetrySchedule::default();
        assert_eq!(s.max_attempts(), 8);
        assert_eq!(s.base_delay(1), Some(5_000));
        assert_eq!(s.base_delay(7), Some(36_000_000));
        assert_eq!(s.base_delay(8), None);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let s = RetrySchedule::default();
        assert_eq!(next_step(&s, 2, 0, 1.0, None), Next::RetryAt(360_000));
        assert_eq!(next_step(&s, 2, 0, -1.0, None), Next::RetryAt(240_000));
        assert_eq!(next_step(&s, 2, 0, 0.0, None), Next::RetryAt(300_000));
        assert_eq!(next_step(&s, 8, 0, 0.0, None), Next::Exhausted);
    }

    #[test]
    fn retry_after_is_honoured_within_bounds() {
        let s = RetrySchedule::from_secs(&[1, 1]);
        assert_eq!(
            next_step(&s, 1, 0, 0.0, Some(30_000)),
            Next::RetryAt(30_000)
        );
        // Shorter than the schedule: the schedule wins.
        assert_eq!(next_step(&s, 1, 0, 0.0, Some(10)), Next::RetryAt(1_000));
        // Absurdly long: capped.
        assert_eq!(
            next_step(&s, 1, 0, 0.0, Some(86_400_000)),
            Next::RetryAt(1_000 + MAX_RETRY_AFTER_MS)
        );
    }

    #[test]
    fn retry_after_only_on_throttling_statuses() {
        assert!(honours_retry_after(429) && honours_retry_after(503));
        assert!(
            !honours_retry_after(500) && !honours_retry_after(200) && !honours_retry_after(301)
        );
    }

    #[test]
    fn classification_table() {
        assert_eq!(classify(Some(204)), OutcomeClass::Success);
        assert_eq!(classify(Some(301)), OutcomeClass::Other);
        assert_eq!(classify(Some(400)), OutcomeClass::Other);
        assert_eq!(classify(Some(401)), OutcomeClass::Auth);
        assert_eq!(classify(Some(410)), OutcomeClass::Gone);
        assert_eq!(classify(Some(429)), OutcomeClass::Throttled);
        assert_eq!(classify(Some(503)), OutcomeClass::Transient);
        assert_eq!(classify_response(Some(503), true), OutcomeClass::Throttled);
        assert_eq!(classify_response(Some(500), true), OutcomeClass::Transient);
        assert_eq!(classify(None), OutcomeClass::Transient);
        for c in [
            OutcomeClass::Success,
            OutcomeClass::Transient,
            OutcomeClass::Throttled,
            OutcomeClass::Gone,
            OutcomeClass::Auth,
            OutcomeClass::Blocked,
            OutcomeClass::Tls,
            OutcomeClass::Other,
        ] {
            assert_eq!(OutcomeClass::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after("120", 0), Some(120_000));
        let now = chrono::DateTime::parse_from_rfc2822("Wed, 21 Oct 2015 07:28:00 GMT")
            .unwrap()
            .timestamp_millis();
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(30_000)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
