//! `sluice prune --older-than 30d`: one full pruning pass against the configured store
//! (SQLite or PostgreSQL), as the maintenance loop runs with `prune_after_days`: attempts
//! made before the cut, and messages created before it whose deliveries are all finished,
//! go, in bounded batches; a message with a delivery still to make stays. Progress goes to
//! stderr, the summary to stdout.

use std::time::{Duration, Instant};

use sluice_server::config::Config;
use sluice_server::retention::{self, Pruned};

/// Arguments of `sluice prune`.
#[derive(clap::Args)]
pub struct PruneArgs {
    /// Delete what is older than this: a number and a unit, `d`, `h`, `m` or `s` (`30d`,
    /// `12h`).
    #[arg(long, value_name = "AGE", value_parser = retention::parse_age)]
    older_than: i64,
    /// Rows per transaction (default: `retention_batch_size`, 500).
    #[arg(long)]
    batch_size: Option<usize>,
}

/// Runs the pass. On SQLite the server must be stopped first (one process owns the file);
/// on PostgreSQL it may run beside the nodes.
pub fn run(config: &Config, args: &PruneArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let batch = args
        .batch_size
        .unwrap_or(config.retention_batch_size)
        .max(1);
    let before = chrono::Utc::now().timestamp_millis() - args.older_than;
    let cut = chrono::DateTime::from_timestamp_millis(before)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    eprintln!("pruning attempts and finished messages from before {cut}, {batch} rows a batch");
    let mut last = Instant::now();
    let show = |p: &Pruned, last: &mut Instant| {
        if last.elapsed() >= Duration::from_secs(1) {
            *last = Instant::now();
            eprintln!("  so far: {}", summary(p));
        }
    };
    let done = runtime.block_on(async {
        let store = sluice_server::startup::open_store(config).await?;
        anyhow::Ok(retention::prune(&*store, before, batch, |p| show(p, &mut last)).await?)
    })?;
    println!("pruned {}", summary(&done));
    Ok(())
}

fn summary(p: &Pruned) -> String {
    format!(
        "{} attempts, {} messages, {} deliveries",
        p.attempts, p.messages, p.deliveries
    )
}
