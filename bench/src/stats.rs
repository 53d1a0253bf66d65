//! Latency summaries: samples are collected into a bounded `Vec`, sorted, and read by
//! nearest rank.

use serde::{Deserialize, Serialize};

/// Most latency samples kept by one collector; later samples are counted but not kept.
pub const MAX_SAMPLES: usize = 4_000_000;

/// A latency summary in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Summary {
    pub n: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

impl Summary {
    /// Summarises samples given in nanoseconds (sorts them in place).
    pub fn of_ns(samples: &mut [u64]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let us = |ns: u64| ns as f64 / 1_000.0;
        Self {
            n: samples.len() as u64,
            p50_us: us(rank(samples, 0.50)),
            p99_us: us(rank(samples, 0.99)),
            max_us: us(samples[samples.len() - 1]),
        }
    }
}

/// Nearest-rank percentile of sorted, non-empty samples.
fn rank(sorted: &[u64], p: f64) -> u64 {
    let idx = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

/// Milliseconds with two decimals, for tables.
pub fn ms(us: f64) -> String {
    format!("{:.2} ms", us / 1_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let mut v: Vec<u64> = (1..=100).rev().map(|x| x * 1_000).collect();
        let s = Summary::of_ns(&mut v);
        assert_eq!(
            (s.n, s.p50_us, s.p99_us, s.max_us),
            (100, 50.0, 99.0, 100.0)
        );
        assert_eq!(Summary::of_ns(&mut []).n, 0);
        assert_eq!(Summary::of_ns(&mut [7_000]).p99_us, 7.0);
    }
}
