//! Every series a Sluice server can emit, with its type, labels and meaning: the one list
//! that `docs/OPERATIONS.md`, the Grafana dashboard (checked by a test) and the HELP lines
//! of `/metrics` agree with. Each part of the server records its own series under these
//! names; a name recorded anywhere must be listed here.

use sluice_store::commits;

/// The Prometheus type of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (`_total`).
    Counter,
    /// A value sampled now.
    Gauge,
    /// Observations in buckets (`_bucket`, `_sum`, `_count`).
    Histogram,
}

/// One series.
#[derive(Debug, Clone, Copy)]
pub struct Series {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Its label names (values of `app` and `source` are capped, see
    /// [`bounded_label`](super::bounded_label)).
    pub labels: &'static [&'static str],
    /// What it counts (the HELP line).
    pub help: &'static str,
}

/// `sluice_ingested_messages_total{app, source}`.
pub const INGESTED: &str = "sluice_ingested_messages_total";
/// `sluice_queue_deliveries{state}`.
pub const QUEUE_DELIVERIES: &str = "sluice_queue_deliveries";
/// `sluice_queue_lag_seconds`.
pub const QUEUE_LAG: &str = "sluice_queue_lag_seconds";
/// `sluice_dead_letters`.
pub const DEAD_LETTERS: &str = "sluice_dead_letters";
/// `sluice_inbound_rejections_total{reason}`.
pub const INBOUND_REJECTIONS: &str = "sluice_inbound_rejections_total";
/// `sluice_metrics_sample_failures_total`.
pub const SAMPLE_FAILURES: &str = "sluice_metrics_sample_failures_total";

const fn s(
    name: &'static str,
    kind: Kind,
    labels: &'static [&'static str],
    help: &'static str,
) -> Series {
    Series {
        name,
        kind,
        labels,
        help,
    }
}

/// Every series, in the order the docs list them.
pub const SERIES: &[Series] = &[
    s(INGESTED, Kind::Counter, &["app", "source"],
      "Messages taken in, by application and source (a source id, or api); both labels capped"),
    s("sluice_attempts_total", Kind::Counter, &["class", "status"],
      "Delivery attempts by outcome class and status code class (2xx|3xx|4xx|5xx|none)"),
    s("sluice_attempt_duration_seconds", Kind::Histogram, &["class"],
      "Duration of delivery attempts, by outcome class"),
    s(QUEUE_DELIVERIES, Kind::Gauge, &["state"],
      "Unfinished deliveries, cluster-wide: due (sendable now), held (due, endpoint disabled), scheduled (later), in_flight; each capped at 100000"),
    s(QUEUE_LAG, Kind::Gauge, &[],
      "Age of the oldest due delivery of an enabled endpoint (0 when none), cluster-wide"),
    s(DEAD_LETTERS, Kind::Gauge, &[],
      "Failed deliveries with no tries left, cluster-wide; capped at 100000"),
    s("sluice_circuit_open_endpoints", Kind::Gauge, &[],
      "Endpoints whose circuit breaker is open or half-open, cluster-wide (read at scrape)"),
    s("sluice_circuit_transitions_total", Kind::Counter, &["to"],
      "Circuit breaker transitions, by new state (open|closed)"),
    s("sluice_throttled_waits_total", Kind::Counter, &["by"],
      "Deliveries held back at a claim, by cause (rate|retry_after|circuit)"),
    s("sluice_endpoints_disabled_total", Kind::Counter, &["trigger"],
      "Endpoints disabled, by trigger (automatic|manual|gone)"),
    s(commits::COMMIT_SECONDS, Kind::Histogram, &["op"],
      "Store transactions from begin to acknowledged commit, by operation (ingest|outcomes|claim)"),
    s(commits::BATCH_SIZE, Kind::Histogram, &["op"],
      "Items per store commit: messages (ingest), outcomes, or deliveries claimed"),
    s(INBOUND_REJECTIONS, Kind::Counter, &["reason"],
      "Inbound (source) requests refused, by reason code"),
    s("sluice_background_tasks_total", Kind::Counter, &["task", "status"],
      "Background tasks (recover, replay, bulk replay) ended, by task and status"),
    s("sluice_redriven_deliveries_total", Kind::Counter, &["task"],
      "Deliveries re-queued by background tasks, by task"),
    s("sluice_expunged_payloads_total", Kind::Counter, &["why"],
      "Message payloads removed, by cause (retention|request)"),
    s("sluice_pruned_rows_total", Kind::Counter, &["table"],
      "Rows pruned by retention, by table"),
    s("sluice_operational_events_total", Kind::Counter, &["type"],
      "Operational events emitted, by event type"),
    s("sluice_operational_events_dropped_total", Kind::Counter, &["reason"],
      "Operational events dropped before publication (queue_full|stopped|store|shutdown)"),
    s(SAMPLE_FAILURES, Kind::Counter, &[],
      "Scrapes whose queue-depth read failed or timed out (the queue gauges then keep their last values)"),
];

/// Registers every series' HELP text, and makes the series of this module's own fixed
/// label values exist (at zero) before anything happens, so dashboards and alerts see
/// them from the start.
pub fn describe() {
    for s in SERIES {
        match s.kind {
            Kind::Counter => metrics::describe_counter!(s.name, s.help),
            Kind::Gauge => metrics::describe_gauge!(s.name, s.help),
            Kind::Histogram => metrics::describe_histogram!(s.name, s.help),
        }
    }
    for state in ["due", "held", "scheduled", "in_flight"] {
        metrics::gauge!(QUEUE_DELIVERIES, "state" => state).increment(0.0);
    }
    metrics::gauge!(QUEUE_LAG).increment(0.0);
    metrics::gauge!(DEAD_LETTERS).increment(0.0);
    metrics::counter!(SAMPLE_FAILURES).increment(0);
    for reason in crate::ingest::stats::rejection_reasons() {
        metrics::counter!(INBOUND_REJECTIONS, "reason" => reason).increment(0);
    }
}

/// The series called `name`, also when `name` is one of a histogram's own series
/// (`…_bucket`, `…_sum`, `…_count`).
pub fn find(name: &str) -> Option<&'static Series> {
    SERIES.iter().find(|s| {
        s.name == name
            || (s.kind == Kind::Histogram
                && ["_bucket", "_sum", "_count"]
                    .iter()
                    .any(|suffix| name.strip_suffix(suffix) == Some(s.name)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `expr` of the dashboard, wherever it is nested.
    fn exprs<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v.as_str()) {
                        ("expr", Some(e)) => out.push(e),
                        _ => exprs(v, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| exprs(v, out)),
            _ => {}
        }
    }

    /// The `sluice_…` names an expression reads.
    fn names(expr: &str) -> Vec<&str> {
        let mut found = Vec::new();
        let mut rest = expr;
        while let Some(i) = rest.find("sluice_") {
            let tail = &rest[i..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            found.push(&tail[..end]);
            rest = &tail[end..];
        }
        found
    }

    #[test]
    fn the_dashboard_reads_only_listed_series_and_every_one_of_them() {
        let text = include_str!("../../../../docs/grafana-dashboard.json");
        let dash: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
        let mut all = Vec::new();
        exprs(&dash, &mut all);
        assert!(!all.is_empty());
        let mut used = std::collections::BTreeSet::new();
        for expr in all {
            for name in names(expr) {
                let s = find(name).unwrap_or_else(|| panic!("{name} (in {expr}) is not listed"));
                used.insert(s.name);
            }
        }
        for s in SERIES {
            assert!(used.contains(s.name), "{} has no panel", s.name);
        }
    }

    #[test]
    fn names_follow_the_conventions() {
        for s in SERIES {
            assert!(s.name.starts_with("sluice_"), "{}", s.name);
            assert_eq!(
                s.kind == Kind::Counter,
                s.name.ends_with("_total"),
                "{}: counters and only counters end in _total",
                s.name
            );
            assert!(
                !s.labels.iter().any(|l| l.ends_with("_id")),
                "{}: no id labels",
                s.name
            );
        }
    }

    /// Every series some part of Sluice records with a literal name (`counter!`, `gauge!`
    /// or `histogram!` of `"sluice_…"`, in any crate's sources) is listed, so the list, the
    /// docs and the dashboard cannot fall behind a series added elsewhere.
    #[test]
    fn every_recorded_series_is_listed() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut dirs = vec![crates];
        let mut recorded = 0;
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("readable source dir") {
                let path = entry.expect("a dir entry").path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("readable source");
                for mac in ["counter!(", "gauge!(", "histogram!("] {
                    for (i, _) in text.match_indices(mac) {
                        let Some(lit) = text[i + mac.len()..].trim_start().strip_prefix('"') else {
                            continue;
                        };
                        let name = &lit[..lit.find('"').expect("a closed literal")];
                        if name.starts_with("sluice_") {
                            recorded += 1;
                            assert!(
                                find(name).is_some(),
                                "{name}, recorded in {}, is not listed",
                                path.display()
                            );
                        }
                    }
                }
            }
        }
        assert!(recorded >= 10, "found only {recorded} recording sites");
    }

    /// The example alert rules read only listed series, and each names a runbook section
    /// of `docs/OPERATIONS.md` that exists (its GitHub-style anchor).
    #[test]
    fn the_alert_rules_read_listed_series_and_point_at_runbooks() {
        let rules = include_str!("../../../../docs/prometheus-alerts.yml");
        let ops = include_str!("../../../../docs/OPERATIONS.md");
        let anchors: Vec<String> = ops
            .lines()
            .filter(|l| l.starts_with('#'))
            .map(|l| {
                l.trim_start_matches('#')
                    .trim()
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                    .map(|c| if c == ' ' { '-' } else { c })
                    .collect()
            })
            .collect();
        let mut alerts = 0;
        for line in rules.lines().map(str::trim) {
            if let Some(expr) = line.strip_prefix("expr:") {
                alerts += 1;
                for name in names(expr) {
                    assert!(find(name).is_some(), "{name} (in {expr}) is not listed");
                }
            }
            if let Some(link) = line.strip_prefix("runbook: \"OPERATIONS.md#") {
                let anchor = link.trim_end_matches('"');
                assert!(
                    anchors.iter().any(|a| a == anchor),
                    "no section of OPERATIONS.md has the anchor {anchor}"
                );
            }
        }
        assert!(alerts >= 8, "found {alerts} rules");
    }
}
