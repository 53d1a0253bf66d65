//! Shared by the binary's tests: the real `sluice` process and a recording receiver.

#![allow(dead_code)] // each test file uses a different part

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

pub mod cluster;

pub const BIN: &str = env!("CARGO_BIN_EXE_sluice");

/// A `sluice serve` child process; killed on drop.
pub struct Node {
    child: Child,
    /// `http://ADDR` of the API.
    pub base: String,
    /// Every line the process printed so far.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Node {
    /// Starts `sluice serve` on the data dir with test settings.
    pub fn start(data_dir: &std::path::Path) -> Node {
        Self::start_with(data_dir, &[])
    }

    /// Like [`Node::start`] with extra environment variables; stdout and stderr are both
    /// captured into [`Node::log`].
    pub fn start_with(data_dir: &std::path::Path, env: &[(&str, &str)]) -> Node {
        Self::start_via(&[], data_dir, env)
    }

    /// Like [`Node::start_with`], run through `wrapper` (e.g. `["prlimit", "--nofile=256:256"]`),
    /// which must exec the binary in its own process (so [`Node::pid`] is sluice's).
    pub fn start_via(wrapper: &[&str], data_dir: &std::path::Path, env: &[(&str, &str)]) -> Node {
        Self::launch(wrapper, &[], data_dir, env)
    }

    /// Like [`Node::start_with`] with extra `serve` arguments (e.g. `["--role", "worker"]`).
    pub fn start_serve(args: &[&str], data_dir: &std::path::Path, env: &[(&str, &str)]) -> Node {
        Self::launch(&[], args, data_dir, env)
    }

    fn launch(
        wrapper: &[&str],
        args: &[&str],
        data_dir: &std::path::Path,
        env: &[(&str, &str)],
    ) -> Node {
        let mut command = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(args)
            .env("SLUICE_ALLOWED_NETWORKS", "127.0.0.0/8")
            .env("SLUICE_RETRY_SCHEDULE", "1,1,1,1,1")
            .env("SLUICE_REQUEST_TIMEOUT", "2")
            .env("SLUICE_LOG_FORMAT", "text")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sluice starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        // Drain stderr in the background so the child never blocks on a full pipe.
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let err_log = log.clone();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                err_log.lock().unwrap().push(line);
            }
        });
        // The bound address is logged (stdout) once the listener is up.
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("sluice exited before listening")
                .expect("utf-8 log");
            log.lock().unwrap().push(line.clone());
            if let Some(rest) = line.split("addr=").nth(1) {
                break rest.split_whitespace().next().expect("address").to_string();
            }
            // The same line in JSON (`log_format = "json"`).
            if let Some(rest) = line.split("\"addr\":\"").nth(1) {
                break rest.split('"').next().expect("address").to_string();
            }
        };
        let out_log = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                out_log.lock().unwrap().push(line);
            }
        });
        Node {
            child,
            base: format!("http://{addr}"),
            log,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, if the server has exited.
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().expect("waiting for sluice")
    }

    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn token(data_dir: &std::path::Path) -> String {
    let out = Command::new(BIN)
        .arg("token")
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("token");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Receiver that records `webhook-id`s and whole requests; hangs (never answers) while
/// `hang` is set.
pub struct Receiver {
    pub url: String,
    pub hang: Arc<AtomicBool>,
    pub seen: Arc<Mutex<Vec<String>>>,
    pub bodies: Arc<Mutex<Vec<(HeaderMap, axum::body::Bytes)>>>,
}

pub async fn receiver(hang_initially: bool) -> Receiver {
    let hang = Arc::new(AtomicBool::new(hang_initially));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let (h, s, b) = (hang.clone(), seen.clone(), bodies.clone());
    let handler = move |headers: HeaderMap, body: axum::body::Bytes| {
        let (h, s, b) = (h.clone(), s.clone(), b.clone());
        async move {
            b.lock().unwrap().push((headers.clone(), body));
            let id = headers
                .get("webhook-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            s.lock().unwrap().push(id);
            if h.load(Ordering::SeqCst) {
                std::future::pending::<()>().await;
            }
            StatusCode::OK
        }
    };
    let app = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver {
        url,
        hang,
        seen,
        bodies,
    }
}

pub async fn post(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    body: Value,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
}
