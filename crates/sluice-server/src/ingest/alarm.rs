//! `source.verification.failing`: a source whose requests keep failing verification (a
//! rotated provider secret not updated here, a misconfigured provider, someone probing the
//! ingest URL) is reported once it reaches `source_failure_alert_threshold` rejections
//! within a window of `source_failure_alert_window_secs`.
//!
//! Windows are fixed (tumbling) and start at a source's first rejection after the last
//! window ended; each window reports at most once. Counts are per node: behind a load
//! balancer each node counts the requests it received, so a cluster of N nodes may report
//! up to N times per window, and a source whose failures are spread thinly over many nodes
//! may cross no node's threshold.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use sluice_core::events::OpEvent;
use sluice_core::model::Source;
use sluice_core::Millis;

/// Sources tracked before windows that have ended are swept (bounds memory when many
/// sources see a stray rejection now and then).
const SWEEP_ABOVE: usize = 10_000;

/// Rejections per source in the current window; see the module documentation.
#[derive(Debug, Default)]
pub struct SourceFailures {
    by_source: Mutex<HashMap<String, Window>>,
}

#[derive(Debug)]
struct Window {
    start: Millis,
    count: u64,
    reasons: BTreeMap<&'static str, u64>,
    reported: bool,
}

impl SourceFailures {
    /// Counts one rejection of `src` (reason code `reason`) at `now`. Returns the event to
    /// emit when this rejection makes the window's count reach `threshold` (0 turns
    /// reporting off).
    pub fn record(
        &self,
        src: &Source,
        reason: &'static str,
        now: Millis,
        threshold: u64,
        window_ms: Millis,
    ) -> Option<OpEvent> {
        if threshold == 0 {
            return None;
        }
        let window_ms = window_ms.max(1);
        let mut map = self.by_source.lock().expect("alarm lock poisoned");
        if map.len() >= SWEEP_ABOVE && !map.contains_key(&src.id) {
            map.retain(|_, w| now - w.start < window_ms);
        }
        let w = map.entry(src.id.clone()).or_insert_with(|| Window {
            start: now,
            count: 0,
            reasons: BTreeMap::new(),
            reported: false,
        });
        if now - w.start >= window_ms {
            *w = Window {
                start: now,
                count: 0,
                reasons: BTreeMap::new(),
                reported: false,
            };
        }
        w.count += 1;
        *w.reasons.entry(reason).or_default() += 1;
        if w.reported || w.count < threshold {
            return None;
        }
        w.reported = true;
        // The most frequent reason; ties go to the first code in order.
        let reason = w
            .reasons
            .iter()
            .fold(None::<(&str, u64)>, |best, (code, n)| match best {
                Some((_, m)) if m >= *n => best,
                _ => Some((code, *n)),
            })
            .map_or(reason, |(code, _)| code);
        Some(OpEvent::SourceVerificationFailing {
            org_id: src.org_id.clone(),
            source_id: src.id.clone(),
            rejected: w.count,
            window_ms,
            reason: reason.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(id: &str) -> Source {
        Source {
            id: id.into(),
            org_id: "org_1".into(),
            app_id: "app_1".into(),
            uid: None,
            name: "s".into(),
            kind: "github".into(),
            config: Vec::new(),
            token: Vec::new(),
            metadata: BTreeMap::new(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn reports_once_per_window_at_the_threshold() {
        let f = SourceFailures::default();
        let (a, b) = (source("src_a"), source("src_b"));
        assert!(f.record(&a, "bad_signature", 0, 3, 1000).is_none());
        assert!(f.record(&a, "stale_timestamp", 10, 3, 1000).is_none());
        assert!(f.record(&b, "bad_signature", 10, 3, 1000).is_none());
        let ev = f
            .record(&a, "bad_signature", 20, 3, 1000)
            .expect("third reaches it");
        assert_eq!(
            ev,
            OpEvent::SourceVerificationFailing {
                org_id: "org_1".into(),
                source_id: "src_a".into(),
                rejected: 3,
                window_ms: 1000,
                reason: "bad_signature".into(),
            }
        );
        // Not again in this window, however many more.
        for t in 30..40 {
            assert!(f.record(&a, "bad_signature", t, 3, 1000).is_none());
        }
        // A new window counts from zero.
        assert!(f.record(&a, "bad_signature", 1000, 3, 1000).is_none());
        assert!(f.record(&a, "bad_signature", 1001, 3, 1000).is_none());
        assert!(f.record(&a, "bad_signature", 1002, 3, 1000).is_some());
        // Threshold 0: off.
        assert!(f.record(&b, "bad_signature", 20, 0, 1000).is_none());
    }
}
