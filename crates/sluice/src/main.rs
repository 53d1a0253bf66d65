//! `sluice`: the one binary. `serve` runs everything; `migrate` prepares the database;
//! `token` prints an API token for an organisation, valid `--ttl-days`; `copy-store` copies
//! a SQLite database into PostgreSQL; `prune` deletes old attempts and finished messages.

mod copy_store;
mod prune;
mod settings;
mod telemetry;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

/// A self-hosted webhook gateway.
#[derive(Parser)]
#[command(name = "sluice", version, about)]
struct Cli {
    /// Configuration file (default: ./sluice.toml if it exists).
    #[arg(long, global = true, env = "SLUICE_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (SQLite file, generated keys).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API and the dispatcher.
    Serve {
        /// Listen address (default 127.0.0.1:8071).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// What this node runs: `all` (API, ingest and deliveries; the default), `api` (no
        /// deliveries) or `worker` (deliveries; HTTP answers only the health routes).
        #[arg(long, value_parser = ["all", "api", "worker"])]
        role: Option<String>,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Print a bearer token for an organisation (its expiry goes to stderr).
    Token {
        /// Organisation id (default: Svix's default org id).
        #[arg(long)]
        org: Option<String>,
        /// Lifetime in days: 365 by default, at most 3650 (ten years, as Svix's
        /// `jwt generate`). Every token expires; sign a new one before then.
        #[arg(
            long,
            default_value_t = sluice_server::auth::ORG_TOKEN_TTL_DAYS,
            value_parser = clap::value_parser!(u32)
                .range(1..=i64::from(sluice_server::auth::MAX_ORG_TOKEN_TTL_DAYS))
        )]
        ttl_days: u32,
    },
    /// Copy a SQLite database into PostgreSQL (moving to a cluster), then exit.
    CopyStore(copy_store::CopyStoreArgs),
    /// Delete attempts, and messages whose deliveries are all finished, older than an age,
    /// in bounded batches (one full pass), then exit. Progress goes to stderr.
    Prune(prune::PruneArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (listen, role) = match &cli.command {
        Command::Serve { listen, role } => (*listen, role.as_deref()),
        _ => (None, None),
    };
    let load = || settings::load(cli.config.as_deref(), cli.data_dir.clone(), listen, role);
    match &cli.command {
        Command::Serve { .. } => {
            let config = load()?;
            let _traces = telemetry::init(&config)?;
            raise_open_file_limit();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let served = runtime.block_on(serve(config));
            // Before the exporter's flush (`_traces`), which must run outside the runtime.
            drop(runtime);
            served
        }
        Command::Migrate => {
            let config = load()?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let done = runtime.block_on(sluice_server::startup::migrate_store(&config))?;
            println!("{done}");
            Ok(())
        }
        Command::Token { org, ttl_days } => {
            let keys = sluice_server::startup::load_or_create_keys(&load()?)?;
            let org = org.as_deref().unwrap_or(sluice_server::auth::DEFAULT_ORG);
            let ttl = i64::from(*ttl_days) * 24 * 3600;
            let token = sluice_server::auth::issue_org_token_for(&keys.jwt_secret, org, ttl);
            let expires = chrono::Utc::now() + chrono::Duration::seconds(ttl);
            // Only the token on stdout, so `TOKEN=$(sluice token)` works.
            println!("{token}");
            eprintln!(
                "token for {org} expires {} ({ttl_days} days; --ttl-days up to 3650)",
                expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            Ok(())
        }
        // Names both databases itself: no configuration to load.
        Command::CopyStore(args) => copy_store::run(args),
        Command::Prune(args) => prune::run(&load()?, args),
    }
}

/// Raises the soft open-file limit to the hard one. Client connections, the SQLite files
/// and delivery sockets all take descriptors, and the soft limit is often 1,024 where the
/// hard one allows far more; the default connection cap is derived from the raised limit
/// (`sluice_server::serve::limits`). Failing to raise it is not fatal: the cap is then
/// derived from the limit there is.
#[cfg(unix)]
fn raise_open_file_limit() {
    let before = rlimit::Resource::NOFILE.get().ok();
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(now) => tracing::info!(
            soft_before = before.map(|(soft, _)| soft),
            soft = now,
            hard = before.map(|(_, hard)| hard),
            "open-file limit"
        ),
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
}

#[cfg(not(unix))]
fn raise_open_file_limit() {}

async fn serve(config: sluice_server::config::Config) -> anyhow::Result<()> {
    let server = sluice_server::startup::Server::build(config).await?;
    let shutdown = CancellationToken::new();
    let signal = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: finishing in-flight requests and deliveries");
        signal.cancel();
    });
    server.run(shutdown).await
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("installing SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
