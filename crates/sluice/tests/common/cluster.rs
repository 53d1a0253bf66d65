//! Several `sluice serve` nodes on one PostgreSQL schema: the shape of a scaled-out
//! deployment, with a shared data directory only for the keys (as an operator would ship the
//! same `jwt_secret` and `encryption_key` to every node).

use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use sluice_store::postgres::test_schema::TestSchema;

use super::{token, Node, BIN};

/// A migrated schema, keys, a token, and the nodes started on them.
pub struct Cluster {
    pub schema: TestSchema,
    pub dir: tempfile::TempDir,
    pub token: String,
    pub nodes: Vec<Option<Node>>,
}

impl Cluster {
    /// A fresh schema migrated with `sluice migrate`, and `n` nodes started on it with the
    /// extra environment `env`.
    pub async fn start(n: usize, env: &[(&str, &str)]) -> Cluster {
        let schema = TestSchema::create()
            .await
            .expect("the PostgreSQL test database answers (run scripts/ensure-postgres)");
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(BIN)
            .args(["migrate", "--data-dir"])
            .arg(dir.path())
            .env("SLUICE_DATABASE_URL", schema.url())
            .output()
            .expect("sluice migrate runs");
        assert!(
            out.status.success(),
            "sluice migrate: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = token(dir.path());
        let mut c = Cluster {
            schema,
            dir,
            token,
            nodes: Vec::new(),
        };
        for _ in 0..n {
            c.add_node(env);
        }
        c
    }

    /// Starts one more node; returns its index.
    pub fn add_node(&mut self, env: &[(&str, &str)]) -> usize {
        self.add_node_with_args(&[], env)
    }

    /// Starts one more node with extra `serve` arguments (`--role worker`); returns its index.
    pub fn add_node_with_args(&mut self, args: &[&str], env: &[(&str, &str)]) -> usize {
        let mut all = vec![("SLUICE_DATABASE_URL", self.schema.url())];
        all.extend_from_slice(env);
        self.nodes
            .push(Some(Node::start_serve(args, self.dir.path(), &all)));
        self.nodes.len() - 1
    }

    /// The API base URL of node `i`.
    pub fn base(&self, i: usize) -> String {
        self.nodes[i]
            .as_ref()
            .expect("node is running")
            .base
            .clone()
    }

    /// SIGKILLs node `i`.
    pub fn kill(&mut self, i: usize) {
        if let Some(node) = self.nodes[i].take() {
            node.kill();
        }
    }

    /// Asserts that every node not killed is still running (none restarted or died).
    pub fn assert_all_running(&mut self) {
        for (i, node) in self.nodes.iter_mut().enumerate() {
            if let Some(node) = node {
                assert!(node.try_wait().is_none(), "node {i} exited");
            }
        }
    }
}

/// A receiver that counts requests by `webhook-id`, answers 200 after `delay`, and records
/// the most requests it ever had in flight at once and when each request arrived.
pub struct CountingReceiver {
    pub url: String,
    pub seen: Arc<Mutex<HashMap<String, usize>>>,
    pub max_in_flight: Arc<AtomicUsize>,
    pub arrivals: Arc<Mutex<Vec<tokio::time::Instant>>>,
}

impl CountingReceiver {
    /// Waits (bounded) until every message of `ids` has arrived at least once.
    pub async fn wait_for_all(&self, ids: &HashSet<String>, within: Duration) {
        wait_for("every acknowledged message delivered", within, || {
            let seen = self.seen.lock().unwrap();
            ids.iter().all(|id| seen.contains_key(id))
        })
        .await;
    }
}

pub async fn counting_receiver(delay: Duration) -> CountingReceiver {
    let seen = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let (s, m, a) = (seen.clone(), max_in_flight.clone(), arrivals.clone());
    let handler = move |headers: HeaderMap| {
        let (s, m, f, a) = (s.clone(), m.clone(), in_flight.clone(), a.clone());
        async move {
            a.lock().unwrap().push(tokio::time::Instant::now());
            let now = f.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(now, Ordering::SeqCst);
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let id = headers
                .get("webhook-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            *s.lock().unwrap().entry(id).or_default() += 1;
            f.fetch_sub(1, Ordering::SeqCst);
            StatusCode::OK
        }
    };
    let app = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    CountingReceiver {
        url,
        seen,
        max_in_flight,
        arrivals,
    }
}

/// Waits (bounded) until `until` holds, polling shared test state.
pub async fn wait_for(what: &str, within: Duration, mut until: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !until() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
