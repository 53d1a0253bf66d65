//! The results table, printed and (by [`crate::entry`]) appended to `bench/README.md`.

use std::fmt::Write as _;

use crate::cpu::Usage;
use crate::phases::{EndToEnd, Ingest, Latency, Throughput};
use crate::stats::{ms, Summary};
use crate::Settings;

/// The figures of one run; `None` = phase not run, `Err` = phase failed (with the reason).
pub struct Results {
    pub ceiling: Option<Result<Throughput, String>>,
    pub ingest: Option<Result<Ingest, String>>,
    pub inbound: Option<Result<Ingest, String>>,
    pub e2e: Option<Result<EndToEnd, String>>,
    pub latency: Option<Result<Latency, String>>,
    /// `/proc/loadavg`'s 1-minute figure when the run started (other work skews results).
    pub load_before: String,
    /// Append 1 KiB + fdatasync on the temp dir's disk.
    pub fsync: Result<Summary, String>,
    /// The PostgreSQL runs, one per node count.
    pub pg: Vec<PgRun>,
    /// The PostgreSQL server's durability settings (`None`: PostgreSQL not run).
    pub pg_settings: Option<Result<String, String>>,
}

/// Ingest and end-to-end on `nodes` Sluice nodes sharing one PostgreSQL schema.
pub struct PgRun {
    pub nodes: usize,
    pub ingest: Option<Result<Ingest, String>>,
    pub e2e: Option<Result<EndToEnd, String>>,
}

impl Results {
    /// Whether any phase failed.
    pub fn failed(&self) -> bool {
        self.ceiling.as_ref().is_some_and(Result::is_err)
            || self.ingest.as_ref().is_some_and(Result::is_err)
            || self.inbound.as_ref().is_some_and(Result::is_err)
            || self.e2e.as_ref().is_some_and(Result::is_err)
            || self.latency.as_ref().is_some_and(Result::is_err)
            || self.pg_settings.as_ref().is_some_and(Result::is_err)
            || self.pg.iter().any(|p| {
                p.ingest.as_ref().is_some_and(Result::is_err)
                    || p.e2e.as_ref().is_some_and(Result::is_err)
            })
    }
}

/// The results as a Markdown table (followed by failure details, if any).
pub fn table(r: &Results, s: &Settings) -> String {
    let mut rows: Vec<[String; 3]> = Vec::new();
    let mut notes = Vec::new();
    let c = s.connections;
    if let Some(res) = &r.ceiling {
        let fig = res.as_ref().map(|t| throughput(t, "req/s"));
        rows.push([
            format!("Ceiling: bare axum handler, {c} conns"),
            cell(fig, &mut notes),
            "—".into(),
        ]);
    }
    if let Some(res) = &r.ingest {
        let fig = res.as_ref().map(|i| {
            let meanwhile = format!("; {} delivered meanwhile", int(i.delivered_meanwhile));
            throughput(&i.load, "msg/s") + &meanwhile
        });
        rows.push([
            format!("Durable ingest: Sluice, fsync, {c} conns"),
            cell(fig, &mut notes),
            "—".into(),
        ]);
    }
    if let (Some(Ok(ceil)), Some(Ok(ing))) = (&r.ceiling, &r.ingest) {
        let ratio = 100.0 * ing.load.per_sec / ceil.per_sec.max(f64::MIN_POSITIVE);
        rows.push([
            "Ingest / ceiling".into(),
            format!("{ratio:.1} %"),
            verdict("≥ 40 %", ratio >= 40.0),
        ]);
    }
    if let Some(res) = &r.inbound {
        let fig = res.as_ref().map(|i| {
            let meanwhile = format!("; {} forwarded meanwhile", int(i.delivered_meanwhile));
            throughput(&i.load, "msg/s") + &meanwhile
        });
        rows.push([
            format!("Verified inbound ingest: Stripe-signed 1 KiB, fsync, {c} conns"),
            cell(fig, &mut notes),
            "—".into(),
        ]);
    }
    if let (Some(Ok(ing)), Some(Ok(inb))) = (&r.ingest, &r.inbound) {
        let ratio = 100.0 * inb.load.per_sec / ing.load.per_sec.max(f64::MIN_POSITIVE);
        rows.push([
            "Inbound / outbound ingest".into(),
            format!(
                "{ratio:.1} % (ack p99 {} vs {})",
                ms(inb.load.ack.p99_us),
                ms(ing.load.ack.p99_us)
            ),
            verdict("≥ 85 %", ratio >= 85.0),
        ]);
    }
    if let Some(res) = &r.e2e {
        let target = match res {
            Ok(e) => verdict("≥ 10,000/s", e.per_sec().is_some_and(|x| x >= 10_000.0)),
            Err(_) => "≥ 10,000/s".into(),
        };
        let fig = res.as_ref().map(end_to_end);
        rows.push([
            format!("End-to-end: {} messages, {c} conns", int(s.messages)),
            cell(fig, &mut notes),
            target,
        ]);
    }
    if let Some(res) = &r.latency {
        let label = format!(
            "Delivery latency: {} msg/s open loop, {} s",
            s.rate, s.latency_secs
        );
        let target = match res {
            Ok(l) => {
                let met = l.delivery.n > 0
                    && l.delivery.p50_us <= 3_000.0
                    && l.delivery.p99_us <= 10_000.0;
                verdict("p50 ≤ 3 ms, p99 ≤ 10 ms", met)
            }
            Err(_) => "p50 ≤ 3 ms, p99 ≤ 10 ms".into(),
        };
        let fig = res.as_ref().map(latency);
        rows.push([label, cell(fig, &mut notes), target]);
    }
    pg_rows(r, s, &mut rows, &mut notes);
    let mut out = String::from("| Figure | Result | Target |\n|---|---|---|\n");
    for [a, b, c] in rows {
        let _ = writeln!(out, "| {a} | {b} | {c} |");
    }
    for n in notes {
        let _ = write!(out, "\n{n}\n");
    }
    out
}

/// The PostgreSQL rows (targets for one node: ingest ≥ 10,000 msg/s, end-to-end ≥ 5,000/s).
fn pg_rows(r: &Results, s: &Settings, rows: &mut Vec<[String; 3]>, notes: &mut Vec<String>) {
    if let Some(Err(e)) = &r.pg_settings {
        let fig = cell(Err(e), notes);
        rows.push(["PostgreSQL".into(), fig, "—".into()]);
    }
    let c = s.connections;
    for run in &r.pg {
        let n = run.nodes;
        let nodes = if n == 1 {
            "1 node".to_string()
        } else {
            format!("{n} nodes")
        };
        if let Some(res) = &run.ingest {
            let target = match res {
                Ok(i) if n == 1 => verdict("≥ 10,000 msg/s", i.load.per_sec >= 10_000.0),
                _ if n == 1 => "≥ 10,000 msg/s".into(),
                _ => "—".into(),
            };
            let fig = res.as_ref().map(|i| {
                let meanwhile = format!("; {} delivered meanwhile", int(i.delivered_meanwhile));
                throughput(&i.load, "msg/s") + &meanwhile
            });
            rows.push([
                format!("Durable ingest: PostgreSQL, {nodes}, {c} conns"),
                cell(fig, notes),
                target,
            ]);
        }
        if let Some(res) = &run.e2e {
            let target = match res {
                Ok(e) if n == 1 => verdict("≥ 5,000/s", e.per_sec().is_some_and(|x| x >= 5_000.0)),
                _ if n == 1 => "≥ 5,000/s".into(),
                _ => "—".into(),
            };
            let fig = res.as_ref().map(end_to_end);
            rows.push([
                format!(
                    "End-to-end: PostgreSQL, {nodes}, {} messages, {c} conns",
                    int(s.messages)
                ),
                cell(fig, notes),
                target,
            ]);
        }
    }
}

fn cell(fig: Result<String, &String>, notes: &mut Vec<String>) -> String {
    match fig {
        Ok(f) => f,
        Err(e) => {
            notes.push(format!("Failure {}:\n\n```\n{e}\n```", notes.len() + 1));
            format!("**FAILED** (see failure {})", notes.len())
        }
    }
}

fn verdict(target: &str, met: bool) -> String {
    format!("{target} ({})", if met { "met" } else { "**missed**" })
}

fn throughput(t: &Throughput, unit: &str) -> String {
    format!(
        "**{} {unit}** (ack p50 {}, p99 {}; {} ok, {} errors{}; {})",
        int(t.per_sec.round() as u64),
        ms(t.ack.p50_us),
        ms(t.ack.p99_us),
        int(t.ok),
        int(t.errors),
        first_error(&t.first_error),
        cores(&t.cpu)
    )
}

fn end_to_end(e: &EndToEnd) -> String {
    let head = match (e.per_sec(), e.total_secs) {
        (Some(rate), Some(secs)) => format!(
            "**{} deliveries/s** (all delivered after {secs:.2} s",
            int(rate as u64)
        ),
        _ => format!(
            "**not all delivered**: {} of {} within the time limit ({} deliveries/s",
            int(e.delivered),
            int(e.published),
            int((e.delivered as f64 / e.wall_secs.max(1e-9)) as u64)
        ),
    };
    format!(
        "{head}; published in {:.2} s = {} msg/s; {} errors{}; {})",
        e.publish_secs,
        int((e.published as f64 / e.publish_secs.max(1e-9)) as u64),
        int(e.errors),
        first_error(&e.first_error),
        cores(&e.cpu)
    )
}

fn latency(l: &Latency) -> String {
    format!(
        "**p50 {}, p99 {}, max {}** ({} of {} delivered; ack p50 {}, p99 {}; {} late sends, {} errors{}; {})",
        ms(l.delivery.p50_us),
        ms(l.delivery.p99_us),
        ms(l.delivery.max_us),
        int(l.delivered),
        int(l.accepted),
        ms(l.ack.p50_us),
        ms(l.ack.p99_us),
        int(l.late_sends),
        int(l.errors),
        first_error(&l.first_error),
        cores(&l.cpu)
    )
}

fn cores(u: &Usage) -> String {
    let rx = if u.receiver > 0.0 {
        format!(", receiver {:.2}", u.receiver)
    } else {
        String::new()
    };
    let db = u
        .database
        .map(|d| {
            format!(
                ", PostgreSQL {:.2} (of which the phase's backends {:.2})",
                d.total, d.ours
            )
        })
        .unwrap_or_default();
    format!(
        "CPU cores: server {:.2}, load generator {:.2}{rx}{db}",
        u.server, u.client
    )
}

fn first_error(e: &Option<String>) -> String {
    e.as_ref()
        .map(|e| format!("; first: {}", e.replace('|', "/")))
        .unwrap_or_default()
}

/// `1234567` → `1,234,567`.
pub fn int(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).expect("ASCII digits"))
        .collect();
    groups.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1_000), "1,000");
        assert_eq!(int(1_234_567), "1,234,567");
    }
}
