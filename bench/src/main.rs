//! `sluice-bench`: the reproducible benchmark (see `bench/README.md`).
//!
//! `cargo run --release -p sluice-bench` builds `sluice` (release), then measures in one run:
//! the ceiling (a bare axum handler), durable ingest, verified inbound ingest (Stripe-signed),
//! end-to-end deliveries/s and delivery latency at a steady rate, prints a table, and with `--write-results` appends it to
//! `bench/README.md`. The hidden subcommands `bare-server` and `receiver` are the helper
//! processes the bench starts from its own binary.

mod bare;
mod child;
mod cpu;
mod load;
mod payload;
mod phases;
mod probe;
mod receiver;
mod report;
mod stats;
mod stripe;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use report::Results;

#[derive(Parser)]
#[command(name = "sluice-bench", about = "Reproducible benchmark of Sluice")]
struct Cli {
    #[command(subcommand)]
    helper: Option<Helper>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Subcommand)]
enum Helper {
    /// The ceiling server (started by the bench itself).
    #[command(hide = true)]
    BareServer,
    /// The webhook receiver (started by the bench itself).
    #[command(hide = true)]
    Receiver,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Phase {
    Ceiling,
    Ingest,
    Inbound,
    E2e,
    Latency,
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
    phases: Vec<Phase>,
    /// Connections of the closed-loop (ceiling, ingest, inbound) and end-to-end phases.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Warm-up of the closed-loop phases, in seconds.
    #[arg(long, default_value_t = 2)]
    warmup_secs: u64,
    /// Measured window of the closed-loop phases, in seconds.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Messages published in the end-to-end phase.
    #[arg(long, default_value_t = 100_000)]
    messages: u64,
    /// Time limit of the end-to-end phase (publishing plus delivery), in seconds.
    #[arg(long, default_value_t = 120)]
    e2e_timeout_secs: u64,
    /// Steady publish rate of the latency phase, messages per second.
    #[arg(long, default_value_t = 500)]
    rate: u64,
    /// Connections the latency phase spreads its schedule over.
    #[arg(long, default_value_t = 32)]
    latency_connections: usize,
    /// Warm-up of the latency phase, in seconds.
    #[arg(long, default_value_t = 5)]
    latency_warmup_secs: u64,
    /// Measured window of the latency phase, in seconds.
    #[arg(long, default_value_t = 20)]
    latency_secs: u64,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// The `sluice` binary (default: built with `cargo build --release -p sluice`).
    #[arg(long)]
    sluice_bin: Option<PathBuf>,
    /// Use `target/release/sluice` as it is instead of building it first.
    #[arg(long)]
    no_build: bool,
    /// `SLUICE_DURABILITY` for the server.
    #[arg(long, default_value = "full")]
    durability: String,
    /// `SLUICE_ENDPOINT_CONCURRENCY` for the server (default: the server's).
    #[arg(long)]
    endpoint_concurrency: Option<usize>,
    /// `SLUICE_MAX_IN_FLIGHT` for the server (default: the server's).
    #[arg(long)]
    max_in_flight: Option<usize>,
    /// Append the results as a dated entry to bench/README.md.
    #[arg(long)]
    write_results: bool,
}

impl Settings {
    fn warmup(&self) -> Duration {
        Duration::from_secs(self.warmup_secs)
    }
    fn duration(&self) -> Duration {
        Duration::from_secs(self.duration_secs.max(1))
    }
    fn latency_warmup(&self) -> Duration {
        Duration::from_secs(self.latency_warmup_secs)
    }
    fn latency_duration(&self) -> Duration {
        Duration::from_secs(self.latency_secs.max(1))
    }

    fn sluice_bin(&self) -> PathBuf {
        self.sluice_bin.clone().unwrap_or_else(|| {
            let exe = std::env::current_exe().unwrap_or_default();
            exe.with_file_name("sluice")
        })
    }

    /// Environment of every `sluice` process.
    fn sluice_env(&self) -> Vec<(String, String)> {
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
    fn describe(&self) -> String {
        let server = self
            .sluice_env()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        format!(
            "{} connections; closed loop {} s warm-up + {} s measured; end-to-end {} messages; \
             latency {} msg/s open loop over {} connections, {} s warm-up + {} s measured; \
             load generator {} threads; server env {server}",
            self.connections,
            self.warmup_secs,
            self.duration_secs,
            report::int(self.messages),
            self.rate,
            self.latency_connections,
            self.latency_warmup_secs,
            self.latency_secs,
            self.client_threads,
        )
    }

    fn runs(&self, p: Phase) -> bool {
        self.phases.contains(&p)
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.helper {
        Some(Helper::BareServer) => helper(true, bare::serve),
        Some(Helper::Receiver) => helper(false, receiver::serve),
        None => {
            let s = cli.settings;
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(s.client_threads.max(1))
                .enable_all()
                .build()?;
            rt.block_on(async {
                tokio::select! {
                    r = bench(&s) => r,
                    _ = tokio::signal::ctrl_c() => anyhow::bail!("interrupted; helpers stopped"),
                }
            })
        }
    }
}

/// Runs a helper server: binds loopback port 0, prints `LISTEN <addr>`, serves until the
/// parent closes stdin. The ceiling server gets the default multi-thread runtime (one worker
/// per core, like `sluice serve`); the receiver a single thread, to leave CPU to the rest.
fn helper<F, Fut>(multi_thread: bool, serve: F) -> anyhow::Result<()>
where
    F: FnOnce(tokio::net::TcpListener) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    child::exit_with_parent();
    let rt = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    };
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("LISTEN {}", listener.local_addr()?);
        serve(listener).await
    })
}

async fn bench(s: &Settings) -> anyhow::Result<()> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("repo root")?
        .to_path_buf();
    let needs_sluice = s.phases.iter().any(|p| *p != Phase::Ceiling);
    if needs_sluice && s.sluice_bin.is_none() && !s.no_build {
        build_sluice(&repo)?;
    }
    if needs_sluice {
        let bin = s.sluice_bin();
        anyhow::ensure!(
            bin.exists(),
            "{} not found (build it: cargo build --release -p sluice)",
            bin.display()
        );
    }
    let mut r = Results {
        load_before: report::load_average(),
        fsync: probe::fsync(500).map_err(fmt),
        ceiling: None,
        ingest: None,
        inbound: None,
        e2e: None,
        latency: None,
    };
    if r.load_before.parse::<f64>().is_ok_and(|l| l > 0.5) {
        eprintln!(
            "[bench] warning: load average {} before the run; other work skews the figures",
            r.load_before
        );
    }
    if s.runs(Phase::Ceiling) {
        eprintln!(
            "[bench] ceiling: bare axum server, {} connections ...",
            s.connections
        );
        r.ceiling = Some(phases::ceiling(s).await.map_err(fmt));
    }
    if needs_sluice {
        let (receiver, addr) = child::spawn_helper("receiver")?;
        let rx = &phases::Receiver {
            addr,
            pid: receiver.pid(),
        };
        if s.runs(Phase::Ingest) {
            eprintln!(
                "[bench] durable ingest: sluice serve, {} connections ...",
                s.connections
            );
            r.ingest = Some(phases::ingest(s, rx).await.map_err(fmt));
        }
        if s.runs(Phase::Inbound) {
            eprintln!(
                "[bench] verified inbound ingest: Stripe-signed, {} connections ...",
                s.connections
            );
            r.inbound = Some(phases::inbound(s, rx).await.map_err(fmt));
        }
        if s.runs(Phase::E2e) {
            eprintln!("[bench] end-to-end: {} messages ...", s.messages);
            r.e2e = Some(phases::end_to_end(s, rx).await.map_err(fmt));
        }
        if s.runs(Phase::Latency) {
            eprintln!(
                "[bench] latency: {} msg/s for {} s ...",
                s.rate, s.latency_secs
            );
            r.latency = Some(phases::latency(s, rx).await.map_err(fmt));
        }
    }
    println!("\n{}\n{}", report::context(&r, s), report::table(&r, s));
    if s.write_results {
        let readme = repo.join("bench/README.md");
        report::append(&readme, &r, s, &repo)?;
        eprintln!("[bench] results appended to {}", readme.display());
    }
    anyhow::ensure!(!r.failed(), "a phase failed (see the table)");
    Ok(())
}

fn fmt(e: anyhow::Error) -> String {
    format!("{e:#}")
}

/// `cargo build --release -p sluice`, with the cargo that runs us when there is one.
fn build_sluice(repo: &Path) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("[bench] cargo build --release -p sluice ...");
    let status = Command::new(cargo)
        .current_dir(repo)
        .args(["build", "--release", "-p", "sluice"])
        .status()
        .context("running cargo build")?;
    anyhow::ensure!(
        status.success(),
        "cargo build --release -p sluice failed ({status})"
    );
    Ok(())
}
