//! The results table (printed) and the dated entry appended to `bench/README.md`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

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
}

impl Results {
    /// Whether any phase failed.
    pub fn failed(&self) -> bool {
        self.ceiling.as_ref().is_some_and(Result::is_err)
            || self.ingest.as_ref().is_some_and(Result::is_err)
            || self.inbound.as_ref().is_some_and(Result::is_err)
            || self.e2e.as_ref().is_some_and(Result::is_err)
            || self.latency.as_ref().is_some_and(Result::is_err)
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
    let mut out = String::from("| Figure | Result | Target |\n|---|---|---|\n");
    for [a, b, c] in rows {
        let _ = writeln!(out, "| {a} | {b} | {c} |");
    }
    for n in notes {
        let _ = write!(out, "\n{n}\n");
    }
    out
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
            "**not all delivered**: {} of {} within the time limit (",
            int(e.delivered),
            int(e.published)
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
    format!(
        "CPU cores: server {:.2}, load generator {:.2}{rx}",
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

/// Appends a dated entry with the machine, commit, settings and table to `readme`.
pub fn append(readme: &Path, r: &Results, s: &Settings, repo: &Path) -> anyhow::Result<()> {
    let date = run(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M:%S UTC"]));
    let commit = run(Command::new("git")
        .current_dir(repo)
        .args(["rev-parse", "--short", "HEAD"]));
    let dirty = run(Command::new("git").current_dir(repo).args([
        "status",
        "--porcelain",
        "--",
        "crates",
        "Cargo.lock",
    ]));
    let dirty = if dirty.is_empty() || dirty == "?" {
        ""
    } else {
        " (plus uncommitted changes under crates/)"
    };
    let mut entry = format!("\n### {date} — commit {commit}{dirty}\n\n");
    entry.push_str(&context(r, s));
    let _ = writeln!(entry);
    entry.push_str(&table(r, s));
    let mut text = std::fs::read_to_string(readme).unwrap_or_default();
    if !text.ends_with('\n') && !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&entry);
    std::fs::write(readme, text)?;
    Ok(())
}

/// Machine, disk, load and settings of a run, as a Markdown list.
pub fn context(r: &Results, s: &Settings) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "- Machine: {}", machine());
    let _ = writeln!(out, "- Disk: {}", fsync(&r.fsync));
    let _ = writeln!(
        out,
        "- Load average (1 min) before the run: {}",
        r.load_before
    );
    let _ = writeln!(out, "- Settings: {}", s.describe());
    out
}

/// The fsync probe in words.
fn fsync(probe: &Result<Summary, String>) -> String {
    match probe {
        Ok(s) => format!(
            "append 1 KiB + fdatasync in the temp dir: p50 {}, p99 {} ({} rounds)",
            ms(s.p50_us),
            ms(s.p99_us),
            s.n
        ),
        Err(e) => format!("fsync probe failed: {e}"),
    }
}

/// The 1-minute load average.
pub fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().next().unwrap_or("?").to_string()
}

/// `nproc`, CPU model, kernel and RAM of this machine.
pub fn machine() -> String {
    let nproc = run(&mut Command::new("nproc"));
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = field(&cpuinfo, "model name").unwrap_or("unknown CPU");
    let kernel = run(Command::new("uname").arg("-r"));
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kib: f64 = field(&meminfo, "MemTotal")
        .and_then(|v| v.trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    format!(
        "{nproc} CPUs (nproc), {model}, Linux {kernel}, {:.1} GiB RAM",
        kib / 1024.0 / 1024.0
    )
}

fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then_some(v.trim())
    })
}

fn run(cmd: &mut Command) -> String {
    cmd.output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "?".into())
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

    #[test]
    fn fields() {
        assert_eq!(
            field("model name\t: AMD EPYC\nx: y", "model name"),
            Some("AMD EPYC")
        );
        assert_eq!(
            field("MemTotal:  24683656 kB", "MemTotal"),
            Some("24683656 kB")
        );
    }
}
