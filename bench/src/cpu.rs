//! CPU time of processes, from `/proc/<pid>/stat`, to show how the cores were shared
//! between the server, the load generator and (on PostgreSQL) the database during a phase.

use std::collections::{HashMap, HashSet};
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

/// Average cores used over a span by the server (the sum over its nodes), this (load
/// generator) process and the receiver (0 when there is none), and, on PostgreSQL, by the
/// database server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub server: f64,
    pub client: f64,
    pub receiver: f64,
    pub database: Option<Database>,
}

/// Cores used by PostgreSQL: every process named `postgres` on this machine (postmaster,
/// backends, WAL writer, checkpointer, autovacuum, ...), and of that the backends serving the
/// phase's own connections (found in `pg_stat_activity` by the phase's application name).
#[derive(Debug, Clone, Copy, Default)]
pub struct Database {
    pub total: f64,
    pub ours: f64,
}

/// CPU seconds so far of every process whose name is `postgres`, by pid.
pub fn postgres_processes() -> HashMap<u32, f64> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|pid| (pid, seconds(pid)))
        .collect()
}

/// Started before a span; [`Meter::stop`] gives the [`Usage`] over it.
pub struct Meter {
    servers: Vec<u32>,
    others: [Option<u32>; 2],
    start_servers: f64,
    start_others: [f64; 2],
    /// The `postgres` processes at the start, when the database is measured.
    postgres: Option<HashMap<u32, f64>>,
    at: Instant,
}

impl Meter {
    /// Measures `servers` (summed), this process, `receiver`, and with `database` every
    /// `postgres` process.
    pub fn start(servers: &[u32], receiver: Option<u32>, database: bool) -> Self {
        let others = [Some(std::process::id()), receiver];
        Self {
            servers: servers.to_vec(),
            start_servers: servers.iter().map(|p| seconds(*p)).sum(),
            start_others: others.map(|p| p.map_or(0.0, seconds)),
            others,
            postgres: database.then(postgres_processes),
            at: Instant::now(),
        }
    }

    /// The usage since [`Meter::start`]; `ours` are the pids of the phase's own database
    /// backends (ignored when the database is not measured).
    pub fn stop(&self, ours: &HashSet<u32>) -> Usage {
        let wall = self.at.elapsed().as_secs_f64().max(1e-9);
        let servers: f64 = self.servers.iter().map(|p| seconds(*p)).sum();
        let used =
            |i: usize| self.others[i].map_or(0.0, |p| (seconds(p) - self.start_others[i]) / wall);
        let database = self.postgres.as_ref().map(|before| {
            let mut db = Database::default();
            for (pid, now) in postgres_processes() {
                // A process started during the span counts from zero.
                let delta = (now - before.get(&pid).copied().unwrap_or(0.0)).max(0.0) / wall;
                db.total += delta;
                if ours.contains(&pid) {
                    db.ours += delta;
                }
            }
            db
        });
        Usage {
            server: (servers - self.start_servers) / wall,
            client: used(0),
            receiver: used(1),
            database,
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

    #[test]
    fn meter_without_database() {
        let m = super::Meter::start(&[std::process::id()], None, false);
        let u = m.stop(&Default::default());
        assert!(u.database.is_none());
        assert!(u.server >= 0.0);
    }
}
