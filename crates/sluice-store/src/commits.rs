//! The store's own series, recorded where commits happen (the SQLite writer, the PostgreSQL
//! ingest writers, outcome and claim transactions): how long a commit of each operation
//! takes and how many items it carries. Names and buckets are the server's
//! (`sluice_server::telemetry`); here they are only recorded.

use std::time::Duration;

/// Seconds from the start of a transaction to its acknowledged commit.
pub const COMMIT_SECONDS: &str = "sluice_store_commit_seconds";
/// Items committed in one transaction (messages, outcomes or claimed deliveries).
pub const BATCH_SIZE: &str = "sluice_store_batch_size";

/// The operations whose commits are measured (the `op` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// New messages with their deliveries; items are messages.
    Ingest,
    /// Outcomes of tries; items are outcomes.
    Outcomes,
    /// Claims of due deliveries; items are deliveries claimed.
    Claim,
}

impl Op {
    /// Every operation, for pre-registering the series.
    pub const ALL: [Op; 3] = [Op::Ingest, Op::Outcomes, Op::Claim];

    /// The `op` label value.
    pub fn label(self) -> &'static str {
        match self {
            Op::Ingest => "ingest",
            Op::Outcomes => "outcomes",
            Op::Claim => "claim",
        }
    }
}

/// Records one committed transaction of `op` that took `elapsed` and carried `items`.
pub(crate) fn record(op: Op, elapsed: Duration, items: usize) {
    metrics::histogram!(COMMIT_SECONDS, "op" => op.label()).record(elapsed.as_secs_f64());
    metrics::histogram!(BATCH_SIZE, "op" => op.label()).record(items as f64);
}
