//! Retention passes: expired payloads are expunged, and (when the operator asked for it)
//! old attempts and finished messages are pruned.
//!
//! A pass is a loop of bounded store batches ([`sluice_store::Store::expire_payloads`],
//! `prune_attempts`, `prune_messages`), each its own short transaction, with a yield
//! between batches: ingest and the dispatcher interleave with a pass instead of waiting for
//! it. The maintenance loop runs a pass on the node holding the cluster-wide `maintenance`
//! lease; `sluice prune` runs a pruning pass by hand.

use sluice_core::Millis;
use sluice_store::{Store, StoreResult};

/// What a pruning pass deleted, by table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Attempts deleted (old ones, and those of deleted messages).
    pub attempts: u64,
    /// Messages deleted.
    pub messages: u64,
    /// Deliveries deleted (those of deleted messages).
    pub deliveries: u64,
}

/// Expunges every payload whose retention ended at `now`, `batch` messages a transaction;
/// returns how many. Counted in `sluice_expunged_payloads_total{why="retention"}`.
pub async fn expire_payloads(store: &dyn Store, now: Millis, batch: usize) -> StoreResult<u64> {
    let batch = batch.max(1);
    let mut total = 0;
    loop {
        let n = store.expire_payloads(now, batch).await?;
        metrics::counter!("sluice_expunged_payloads_total", "why" => "retention").increment(n);
        total += n;
        if n < batch as u64 {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

/// Deletes attempts made before `before`, then messages created before it whose deliveries
/// are all finished (and unchanged since), `batch` rows a transaction; `progress` is told
/// the running totals after each batch. Counted in `sluice_pruned_rows_total{table}`.
pub async fn prune(
    store: &dyn Store,
    before: Millis,
    batch: usize,
    mut progress: impl FnMut(&Pruned),
) -> StoreResult<Pruned> {
    let batch = batch.max(1);
    let mut done = Pruned::default();
    loop {
        let n = store.prune_attempts(before, batch).await?;
        count("attempt", n);
        done.attempts += n;
        progress(&done);
        if n < batch as u64 {
            break;
        }
        tokio::task::yield_now().await;
    }
    let mut after = String::new();
    loop {
        let w = store.prune_messages(before, &after, batch).await?;
        count("message", w.messages);
        count("delivery", w.deliveries);
        count("attempt", w.attempts);
        done.messages += w.messages;
        done.deliveries += w.deliveries;
        done.attempts += w.attempts;
        progress(&done);
        match w.next {
            Some(next) => after = next,
            None => return Ok(done),
        }
        tokio::task::yield_now().await;
    }
}

fn count(table: &'static str, n: u64) {
    if n > 0 {
        metrics::counter!("sluice_pruned_rows_total", "table" => table).increment(n);
    }
}

/// Parses an age such as `30d`, `12h`, `90m` or `45s` into milliseconds (`sluice prune
/// --older-than`). A bare number is refused: the unit must be said.
pub fn parse_age(text: &str) -> Result<Millis, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} needs a unit: d, h, m or s (e.g. 30d)"))?;
    let (num, unit) = text.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a number followed by d, h, m or s"))?;
    let unit_ms: i64 = match unit {
        "d" => 86_400_000,
        "h" => 3_600_000,
        "m" => 60_000,
        "s" => 1_000,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?}: use d, h, m or s"
            ))
        }
    };
    n.checked_mul(unit_ms)
        .filter(|ms| *ms > 0)
        .ok_or_else(|| format!("{text:?} must be more than zero and not absurdly large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_parse_with_units_only() {
        assert_eq!(parse_age("30d"), Ok(30 * 86_400_000));
        assert_eq!(parse_age("12h"), Ok(12 * 3_600_000));
        assert_eq!(parse_age("90m"), Ok(90 * 60_000));
        assert_eq!(parse_age(" 45s "), Ok(45_000));
        for bad in [
            "30",
            "d",
            "0d",
            "-1d",
            "1w",
            "1.5d",
            "",
            "99999999999999999d",
        ] {
            assert!(parse_age(bad).is_err(), "{bad}");
        }
    }
}
