//! The command line: which phases and stores, how hard, and the server's settings.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::report;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Phase {
    Ceiling,
    Ingest,
    Inbound,
    E2e,
    Latency,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What to run and how hard.
#[derive(Args, Debug, Clone)]
pub struct Settings {
    /// Phases to run (always in this order, whatever the order given).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ceiling,ingest,inbound,e2e,latency"
    )]
    pub(crate) phases: Vec<Phase>,
    /// Stores to run the Sluice phases on. PostgreSQL runs the ingest and end-to-end phases
    /// (once per `--nodes` entry); SQLite runs every phase.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    pub(crate) backends: Vec<Backend>,
    /// Node counts of the PostgreSQL runs (the nodes share one schema; the load generator
    /// spreads its connections over their listeners).
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub(crate) nodes: Vec<usize>,
    /// The PostgreSQL database (each phase gets a fresh schema in it; the role must be
    /// allowed to create schemas). Default: what `scripts/ensure-postgres` prints.
    #[arg(long, env = "SLUICE_BENCH_PG_URL")]
    pub(crate) pg_url: Option<String>,
    /// Connections of the closed-loop (ceiling, ingest, inbound) and end-to-end phases.
    #[arg(long, default_value_t = 64)]
    pub(crate) connections: usize,
    /// Warm-up of the closed-loop phases, in seconds.
    #[arg(long, default_value_t = 2)]
    pub(crate) warmup_secs: u64,
    /// Measured window of the closed-loop phases, in seconds.
    #[arg(long, default_value_t = 10)]
    pub(crate) duration_secs: u64,
    /// Messages published in the end-to-end phase.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) messages: u64,
    /// Time limit of the end-to-end phase (publishing plus delivery), in seconds.
    #[arg(long, default_value_t = 120)]
    pub(crate) e2e_timeout_secs: u64,
    /// Steady publish rate of the latency phase, messages per second.
    #[arg(long, default_value_t = 500)]
    pub(crate) rate: u64,
    /// Connections the latency phase spreads its schedule over.
    #[arg(long, default_value_t = 32)]
    pub(crate) latency_connections: usize,
    /// Warm-up of the latency phase, in seconds.
    #[arg(long, default_value_t = 5)]
    pub(crate) latency_warmup_secs: u64,
    /// Measured window of the latency phase, in seconds.
    #[arg(long, default_value_t = 20)]
    pub(crate) latency_secs: u64,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    pub(crate) client_threads: usize,
    /// The `sluice` binary (default: built with `cargo build --release -p sluice`).
    #[arg(long)]
    pub(crate) sluice_bin: Option<PathBuf>,
    /// Use `target/release/sluice` as it is instead of building it first.
    #[arg(long)]
    pub(crate) no_build: bool,
    /// `SLUICE_DURABILITY` for the server.
    #[arg(long, default_value = "full")]
    pub(crate) durability: String,
    /// `SLUICE_ENDPOINT_CONCURRENCY` for the server (default: the server's).
    #[arg(long)]
    pub(crate) endpoint_concurrency: Option<usize>,
    /// `SLUICE_MAX_IN_FLIGHT` for the server (default: the server's).
    #[arg(long)]
    pub(crate) max_in_flight: Option<usize>,
    /// Append the results as a dated entry to bench/README.md.
    #[arg(long)]
    pub(crate) write_results: bool,
}

impl Settings {
    pub(crate) fn warmup(&self) -> Duration {
        Duration::from_secs(self.warmup_secs)
    }
    pub(crate) fn duration(&self) -> Duration {
        Duration::from_secs(self.duration_secs.max(1))
    }
    pub(crate) fn latency_warmup(&self) -> Duration {
        Duration::from_secs(self.latency_warmup_secs)
    }
    pub(crate) fn latency_duration(&self) -> Duration {
        Duration::from_secs(self.latency_secs.max(1))
    }

    /// An absolute path: the servers run in their data dirs.
    pub(crate) fn sluice_bin(&self) -> PathBuf {
        match &self.sluice_bin {
            Some(bin) => std::path::absolute(bin).unwrap_or_else(|_| bin.clone()),
            None => {
                let exe = std::env::current_exe().unwrap_or_default();
                exe.with_file_name("sluice")
            }
        }
    }

    /// Environment of every `sluice` process.
    pub(crate) fn sluice_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            (
                "SLUICE_ALLOWED_NETWORKS".to_string(),
                "127.0.0.0/8".to_string(),
            ),
            ("SLUICE_DURABILITY".to_string(), self.durability.clone()),
        ];
        if let Some(n) = self.endpoint_concurrency {
            env.push(("SLUICE_ENDPOINT_CONCURRENCY".into(), n.to_string()));
        }
        if let Some(n) = self.max_in_flight {
            env.push(("SLUICE_MAX_IN_FLIGHT".into(), n.to_string()));
        }
        env
    }

    /// One line for the results entry.
    pub(crate) fn describe(&self) -> String {
        let server = self
            .sluice_env()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        format!(
            "{} connections; closed loop {} s warm-up + {} s measured; end-to-end {} messages; \
             latency {} msg/s open loop over {} connections, {} s warm-up + {} s measured; \
             load generator {} threads; stores {}; PostgreSQL nodes {}; server env {server}",
            self.connections,
            self.warmup_secs,
            self.duration_secs,
            report::int(self.messages),
            self.rate,
            self.latency_connections,
            self.latency_warmup_secs,
            self.latency_secs,
            self.client_threads,
            self.backends
                .iter()
                .map(|b| format!("{b:?}").to_lowercase())
                .collect::<Vec<_>>()
                .join(","),
            self.nodes
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(","),
        )
    }

    pub(crate) fn runs(&self, p: Phase) -> bool {
        self.phases.contains(&p)
    }

    pub(crate) fn on(&self, b: Backend) -> bool {
        self.backends.contains(&b)
    }

    /// Whether a phase runs on the SQLite server.
    pub(crate) fn runs_sqlite(&self, p: Phase) -> bool {
        self.runs(p) && self.on(Backend::Sqlite)
    }

    /// Whether the PostgreSQL runs happen (they cover ingest and end-to-end only).
    pub(crate) fn runs_postgres(&self) -> bool {
        self.on(Backend::Postgres) && (self.runs(Phase::Ingest) || self.runs(Phase::E2e))
    }
}
