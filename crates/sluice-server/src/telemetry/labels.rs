//! Label values that come from user data (application ids, source ids) are capped: the
//! first `metrics_max_label_values` distinct values of each kind are kept as they are, and
//! every later one is recorded as [`OTHER`]. So a tenant that creates applications by the
//! thousand cannot grow the metric set (and Prometheus's memory) without bound; the cap is
//! per process, and a restart starts counting again.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{OnceLock, RwLock};

/// The value recorded for a label once its kind has reached the cap.
pub const OTHER: &str = "other";

/// Default of `metrics_max_label_values`.
pub const DEFAULT_MAX_VALUES: usize = 100;

static MAX_VALUES: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_VALUES);

/// Values kept so far, per kind.
fn seen() -> &'static RwLock<HashMap<&'static str, HashSet<String>>> {
    static SEEN: OnceLock<RwLock<HashMap<&'static str, HashSet<String>>>> = OnceLock::new();
    SEEN.get_or_init(Default::default)
}

/// Sets the cap (the server does, from `metrics_max_label_values`; the last server built
/// in a process sets it for all). Values already kept stay kept.
pub fn set_max_values(n: usize) {
    MAX_VALUES.store(n, Ordering::Relaxed);
}

/// `value` as a label of `kind` (`app`, `source`, …): itself if it is one of the first
/// distinct values of that kind up to the cap, else [`OTHER`]. Cheap on the hot path: a
/// value already kept costs one read lock.
pub fn bounded_label(kind: &'static str, value: &str) -> String {
    let seen = seen();
    if let Some(values) = seen.read().expect("label lock poisoned").get(kind) {
        if values.contains(value) {
            return value.to_string();
        }
    }
    let mut all = seen.write().expect("label lock poisoned");
    let values = all.entry(kind).or_default();
    if values.contains(value) {
        return value.to_string();
    }
    if values.len() >= MAX_VALUES.load(Ordering::Relaxed) || value == OTHER {
        return OTHER.to_string();
    }
    values.insert(value.to_string());
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_past_the_cap_are_other_and_kinds_are_apart() {
        // Kinds of this test only: the registry is process-wide.
        let kept: Vec<String> = (0..DEFAULT_MAX_VALUES)
            .map(|i| bounded_label("test_kind_a", &format!("v{i}")))
            .collect();
        assert!(kept.iter().enumerate().all(|(i, v)| *v == format!("v{i}")));
        assert_eq!(bounded_label("test_kind_a", "late"), OTHER);
        assert_eq!(bounded_label("test_kind_a", "v7"), "v7", "kept values stay");
        assert_eq!(bounded_label("test_kind_b", "late"), "late");
    }
}
