//! `sluice token` prints only a token on stdout, and every token it prints expires: one
//! year by default, `--ttl-days` up to ten years, nothing outside 1..=3650 days.

mod common;

use std::process::Command;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::BIN;
use serde_json::Value;

fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("token")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("sluice token runs")
}

/// The claims of the token printed by `sluice token args…`.
fn claims(dir: &std::path::Path, args: &[&str]) -> Value {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap();
    let token = token.trim();
    assert_eq!(
        token.split('.').count(),
        3,
        "stdout is just the JWT: {token:?}"
    );
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn lifetime_days(c: &Value) -> i64 {
    (c["exp"].as_i64().expect("exp") - c["iat"].as_i64().expect("iat")) / 86_400
}

#[test]
fn tokens_always_expire() {
    let dir = tempfile::tempdir().unwrap();
    let default = claims(dir.path(), &[]);
    assert_eq!(lifetime_days(&default), 365);
    let short = claims(dir.path(), &["--ttl-days", "2", "--org", "org_x"]);
    assert_eq!(
        (lifetime_days(&short), short["sub"].as_str()),
        (2, Some("org_x"))
    );
    assert_eq!(
        lifetime_days(&claims(dir.path(), &["--ttl-days", "3650"])),
        3650
    );
    for bad in ["0", "3651", "-1"] {
        let out = run(dir.path(), &["--ttl-days", bad]);
        assert!(!out.status.success(), "--ttl-days {bad} accepted");
    }
    // The expiry is said on stderr, so `TOKEN=$(sluice token)` stays clean.
    let out = run(dir.path(), &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("expires"));
}

/// `sluice token` is often the first command on a fresh machine: the data dir it creates
/// (keys now, payloads later) is owner-only, and so is the key it writes.
#[cfg(unix)]
#[test]
fn first_run_creates_an_owner_only_data_dir() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh/data");
    claims(&data, &[]);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("jwt_secret")), 0o600);
}
