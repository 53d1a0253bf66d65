//! The dated entry appended to `bench/README.md`: date, machine, commit, disk probe, load,
//! settings and the results table.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::report::{table, Results};
use crate::stats::{ms, Summary};
use crate::Settings;

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
    if let Some(Ok(pg)) = &r.pg_settings {
        let _ = writeln!(out, "- PostgreSQL (same machine): {pg}");
    }
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
