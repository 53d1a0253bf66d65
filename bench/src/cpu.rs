//! CPU time of processes, from `/proc/<pid>/stat`, to show how the cores were shared
//! between the server and the load generator during a phase.

use std::process::Command;
use std::time::Instant;

/// CPU seconds (user + system, all threads) used so far by `pid`; 0 if unreadable.
pub fn seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name start at field 3 (state); utime and
    // stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (ticks(11) + ticks(12)) as f64 / clock_ticks()
}

fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// Average cores used over a span by the server, this (load generator) process and the
/// receiver (0 when there is none).
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub server: f64,
    pub client: f64,
    pub receiver: f64,
}

/// Started before a span; [`Meter::stop`] gives the [`Usage`] over it.
pub struct Meter {
    pids: [Option<u32>; 3],
    start: [f64; 3],
    at: Instant,
}

impl Meter {
    pub fn start(server: u32, receiver: Option<u32>) -> Self {
        let pids = [Some(server), Some(std::process::id()), receiver];
        let start = pids.map(|p| p.map_or(0.0, seconds));
        Self {
            pids,
            start,
            at: Instant::now(),
        }
    }

    pub fn stop(&self) -> Usage {
        let wall = self.at.elapsed().as_secs_f64().max(1e-9);
        let used = |i: usize| self.pids[i].map_or(0.0, |p| (seconds(p) - self.start[i]) / wall);
        Usage {
            server: used(0),
            client: used(1),
            receiver: used(2),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_own_cpu_time() {
        let start = super::seconds(std::process::id());
        let t = std::time::Instant::now();
        let mut x = 0u64;
        while t.elapsed().as_millis() < 100 {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        assert!(x > 0);
        assert!(super::seconds(std::process::id()) > start);
    }
}
