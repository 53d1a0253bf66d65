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
mod entry;
mod expect;
mod load;
mod payload;
mod pg;
mod phases;
mod probe;
mod receiver;
mod report;
mod server;
mod settings;
mod stats;
mod stripe;

use std::path::Path;
use std::process::Command;

use anyhow::Context;
use clap::{Parser, Subcommand};

use report::{PgRun, Results};
use server::Store;
pub use settings::{Backend, Phase, Settings};

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
    let needs_sluice = s.phases.iter().any(|p| *p != Phase::Ceiling) && !s.backends.is_empty();
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
        load_before: entry::load_average(),
        fsync: probe::fsync(500).map_err(fmt),
        ceiling: None,
        ingest: None,
        inbound: None,
        e2e: None,
        latency: None,
        pg: Vec::new(),
        pg_settings: None,
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
        if s.runs_sqlite(Phase::Ingest) {
            eprintln!(
                "[bench] durable ingest: sluice serve, {} connections ...",
                s.connections
            );
            r.ingest = Some(phases::ingest(s, rx, &Store::Sqlite).await.map_err(fmt));
        }
        if s.runs_sqlite(Phase::Inbound) {
            eprintln!(
                "[bench] verified inbound ingest: Stripe-signed, {} connections ...",
                s.connections
            );
            r.inbound = Some(phases::inbound(s, rx).await.map_err(fmt));
        }
        if s.runs_sqlite(Phase::E2e) {
            eprintln!("[bench] end-to-end: {} messages ...", s.messages);
            r.e2e = Some(phases::end_to_end(s, rx, &Store::Sqlite).await.map_err(fmt));
        }
        if s.runs_sqlite(Phase::Latency) {
            eprintln!(
                "[bench] latency: {} msg/s for {} s ...",
                s.rate, s.latency_secs
            );
            r.latency = Some(phases::latency(s, rx).await.map_err(fmt));
        }
        if s.runs_postgres() {
            postgres(s, rx, &repo, &mut r).await;
        }
    }
    println!("\n{}\n{}", entry::context(&r, s), report::table(&r, s));
    if s.write_results {
        let readme = repo.join("bench/README.md");
        entry::append(&readme, &r, s, &repo)?;
        eprintln!("[bench] results appended to {}", readme.display());
    }
    anyhow::ensure!(!r.failed(), "a phase failed (see the table)");
    Ok(())
}

/// The PostgreSQL runs: ingest and end-to-end for each node count, each on a fresh schema.
async fn postgres(s: &Settings, rx: &phases::Receiver, repo: &Path, r: &mut Results) {
    let base = match pg::base_url(s.pg_url.as_deref(), repo) {
        Ok(base) => base,
        Err(e) => return r.pg_settings = Some(Err(fmt(e))),
    };
    r.pg_settings = Some(pg::settings(&base).await.map_err(fmt));
    if !matches!(r.pg_settings, Some(Ok(_))) {
        return;
    }
    for &nodes in &s.nodes {
        let store = Store::Postgres {
            base: base.clone(),
            nodes,
        };
        let mut run = PgRun {
            nodes,
            ingest: None,
            e2e: None,
        };
        if s.runs(Phase::Ingest) {
            eprintln!(
                "[bench] durable ingest: PostgreSQL, {nodes} node(s), {} connections ...",
                s.connections
            );
            run.ingest = Some(phases::ingest(s, rx, &store).await.map_err(fmt));
        }
        if s.runs(Phase::E2e) {
            eprintln!(
                "[bench] end-to-end: PostgreSQL, {nodes} node(s), {} messages ...",
                s.messages
            );
            run.e2e = Some(phases::end_to_end(s, rx, &store).await.map_err(fmt));
        }
        r.pg.push(run);
    }
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
