//! Child processes: every child is owned by a [`Guard`] that kills and reaps it when dropped
//! (normal end, error, panic, or Ctrl-C, which drops the whole run). The bench's own helper
//! children (ceiling server, receiver) also exit when their stdin closes, so they do not
//! outlive a bench process that was killed outright.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};

use anyhow::Context;

/// A running child process, killed when dropped.
pub struct Guard {
    child: Child,
    _stdin: Option<ChildStdin>,
    _stdout: Option<BufReader<ChildStdout>>,
}

impl Guard {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status if the child has already ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Starts this bench binary with a hidden subcommand (`bare-server` or `receiver`) that binds
/// port 0 on loopback and prints `LISTEN <addr>`; returns the guard and that address.
pub fn spawn_helper(sub: &str) -> anyhow::Result<(Guard, SocketAddr)> {
    let exe = std::env::current_exe().context("locating the bench binary")?;
    let mut child = Command::new(exe)
        .arg(sub)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting the {sub} helper"))?;
    let stdin = child.stdin.take();
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut guard = Guard {
        child,
        _stdin: stdin,
        _stdout: None,
    };
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .with_context(|| format!("reading the {sub} address"))?;
    guard._stdout = Some(stdout);
    let addr = line
        .trim()
        .strip_prefix("LISTEN ")
        .and_then(|a| a.parse().ok())
        .with_context(|| format!("{sub} helper did not report its address (said {line:?})"))?;
    Ok((guard, addr))
}

/// In a helper child: exits the process when the parent closes our stdin (or dies).
pub fn exit_with_parent() {
    std::thread::spawn(|| {
        let mut buf = [0u8; 64];
        let mut stdin = std::io::stdin();
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => std::process::exit(0),
                Ok(_) => {}
            }
        }
    });
}

/// Starts `sluice serve` on `addr` with data dir `dir`, logging to `log`. Runs in `dir` so a
/// stray `sluice.toml` in the caller's directory is not picked up.
pub fn spawn_sluice(
    bin: &Path,
    dir: &Path,
    addr: SocketAddr,
    env: &[(String, String)],
    log: &Path,
) -> anyhow::Result<Guard> {
    let out = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let err = out.try_clone()?;
    let child = sluice_command(bin, dir, env)
        .arg("serve")
        .arg("--listen")
        .arg(addr.to_string())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    Ok(Guard {
        child,
        _stdin: None,
        _stdout: None,
    })
}

/// Runs `sluice token --data-dir dir` and returns the token.
pub fn sluice_token(bin: &Path, dir: &Path, env: &[(String, String)]) -> anyhow::Result<String> {
    let out = sluice_command(bin, dir, env)
        .arg("token")
        .output()
        .context("running sluice token")?;
    anyhow::ensure!(
        out.status.success(),
        "sluice token failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let token = String::from_utf8(out.stdout)?.trim().to_string();
    anyhow::ensure!(!token.is_empty(), "sluice token printed nothing");
    Ok(token)
}

/// Runs `sluice migrate` (the PostgreSQL schema must exist before `serve` starts).
pub fn sluice_migrate(bin: &Path, dir: &Path, env: &[(String, String)]) -> anyhow::Result<()> {
    let out = sluice_command(bin, dir, env)
        .arg("migrate")
        .output()
        .context("running sluice migrate")?;
    anyhow::ensure!(
        out.status.success(),
        "sluice migrate failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

fn sluice_command(bin: &Path, dir: &Path, env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir)
        .env_remove("SLUICE_CONFIG")
        .arg("--data-dir")
        .arg(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// A free loopback port (bound, read, released).
pub fn free_port() -> anyhow::Result<SocketAddr> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?)
}

/// The last `lines` lines of a log file, for error reports.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Where logs of this run are kept: `<target dir>/sluice-bench/`.
pub fn log_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let target = exe.parent().and_then(Path::parent).map(Path::to_path_buf);
    target
        .unwrap_or_else(std::env::temp_dir)
        .join("sluice-bench")
}
