//! The Sluice under test: one `sluice serve` on a fresh SQLite data dir, or one or more nodes
//! sharing a fresh PostgreSQL schema (migrated first with `sluice migrate`; the nodes share
//! one data dir, so they share its JWT secret and encryption key). Dropping a [`Sluice`]
//! kills its nodes, then drops the schema and removes the dir.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use http::header::USER_AGENT;
use http::{HeaderValue, Method, StatusCode};
use tokio::time::{sleep, Instant};

use crate::child::{self, Guard};
use crate::cpu::{Meter, Usage};
use crate::load::{self, Expect, Target};
use crate::pg;
use crate::stripe;
use crate::Settings;

/// Which store the server runs on.
#[derive(Debug, Clone)]
pub enum Store {
    /// A fresh temporary data dir with its SQLite database.
    Sqlite,
    /// `nodes` nodes on a fresh schema of the database at `base`.
    Postgres { base: String, nodes: usize },
}

impl Store {
    /// The label of this store in logs and the table.
    pub fn label(&self) -> String {
        match self {
            Store::Sqlite => "sqlite".into(),
            Store::Postgres { nodes, .. } => format!("pg{nodes}"),
        }
    }
}

struct Node {
    guard: Guard,
    addr: SocketAddr,
    log: PathBuf,
}

pub struct Sluice {
    // Dropped in this order: the nodes are killed before the schema is dropped.
    nodes: Vec<Node>,
    schema: Option<pg::Schema>,
    auth: HeaderValue,
    _dir: tempfile::TempDir,
}

impl Sluice {
    pub async fn start(s: &Settings, phase: &str, store: &Store) -> anyhow::Result<Self> {
        let bin = s.sluice_bin();
        let dir = tempfile::Builder::new().prefix("sluice-bench-").tempdir()?;
        let mut env = s.sluice_env();
        let (schema, count) = match store {
            Store::Sqlite => (None, 1),
            Store::Postgres { base, nodes } => {
                let schema = pg::Schema::create(base).await?;
                env.push(("SLUICE_DATABASE_URL".into(), schema.url().to_string()));
                child::sluice_migrate(&bin, dir.path(), &env)?;
                (Some(schema), (*nodes).max(1))
            }
        };
        let token = child::sluice_token(&bin, dir.path(), &env)?;
        let auth = HeaderValue::from_str(&format!("Bearer {token}"))?;
        let logs = child::log_dir();
        std::fs::create_dir_all(&logs)?;
        let mut nodes = Vec::new();
        for i in 0..count {
            let addr = child::free_port()?;
            let suffix = if count > 1 {
                format!("-node{i}")
            } else {
                String::new()
            };
            let log = logs.join(format!("{phase}-{}{suffix}-sluice.log", store.label()));
            let guard = child::spawn_sluice(&bin, dir.path(), addr, &env, &log)?;
            nodes.push(Node { guard, addr, log });
        }
        let mut me = Self {
            nodes,
            schema,
            auth,
            _dir: dir,
        };
        me.wait_healthy().await?;
        Ok(me)
    }

    async fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let until = Instant::now() + Duration::from_secs(30);
        for i in 0..self.nodes.len() {
            loop {
                self.alive()?;
                let addr = self.nodes[i].addr;
                if let Ok((st, _)) =
                    load::call(addr, Method::GET, "/api/v1/health", None, None).await
                {
                    if st.is_success() {
                        break;
                    }
                }
                anyhow::ensure!(
                    Instant::now() < until,
                    "sluice not healthy after 30 s ({})",
                    self.nodes[i].log.display()
                );
                sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
    }

    /// Fails with the end of its log if a node has exited.
    pub fn alive(&mut self) -> anyhow::Result<()> {
        for n in &mut self.nodes {
            if let Some(status) = n.guard.exited() {
                anyhow::bail!(
                    "sluice exited ({status}); last lines of {}:\n{}",
                    n.log.display(),
                    child::tail(&n.log, 30)
                );
            }
        }
        Ok(())
    }

    /// Starts measuring the CPU of the nodes, this process, the receiver and the database.
    pub fn meter(&self, receiver: u32) -> Meter {
        let pids: Vec<u32> = self.nodes.iter().map(|n| n.guard.pid()).collect();
        Meter::start(&pids, Some(receiver), self.schema.is_some())
    }

    /// The usage since `meter` started (the database's own backends looked up first).
    pub async fn usage(&self, meter: &Meter) -> Usage {
        let ours = match &self.schema {
            Some(schema) => schema.backends().await.unwrap_or_else(|e| {
                eprintln!("[bench] warning: listing the phase's backends: {e:#}");
                HashSet::new()
            }),
            None => HashSet::new(),
        };
        meter.stop(&ours)
    }

    fn addrs(&self) -> Vec<SocketAddr> {
        self.nodes.iter().map(|n| n.addr).collect()
    }

    /// Creates one app with one endpoint delivering to `hook`; returns the publish target
    /// (spread over every node's listener).
    pub async fn app_with_endpoint(&self, hook: SocketAddr) -> anyhow::Result<Target> {
        let app = self
            .post("/api/v1/app", serde_json::json!({"name": "bench"}))
            .await?;
        let id = app["id"].as_str().context("app without id")?.to_string();
        let url = format!("http://{hook}/hook");
        self.post(
            &format!("/api/v1/app/{id}/endpoint"),
            serde_json::json!({"url": url}),
        )
        .await?;
        let path = format!("/api/v1/app/{id}/msg");
        let auth = Some(self.auth.clone());
        let mut target = Target::at(
            self.nodes[0].addr,
            path,
            auth,
            Expect::Status(StatusCode::ACCEPTED),
        );
        target.addrs = self.addrs();
        Ok(target)
    }

    /// Creates a Stripe source with `secret` and one endpoint delivering to `hook`; returns
    /// the target its ingest URL names (always on this server's address: only the path of
    /// `ingestUrl` is used, whatever public host it shows).
    pub async fn stripe_source(&self, secret: &str, hook: SocketAddr) -> anyhow::Result<Target> {
        let src = self
            .post(
                "/ingest/api/v1/source",
                serde_json::json!({"name": "bench", "type": "stripe", "config": {"secret": secret}}),
            )
            .await?;
        let id = src["id"].as_str().context("source without id")?.to_string();
        let url = src["ingestUrl"]
            .as_str()
            .context("source without ingestUrl")?;
        let path = url_path(url).with_context(|| format!("ingestUrl {url:?} has no path"))?;
        let hook = format!("http://{hook}/hook");
        self.post(
            &format!("/ingest/api/v1/source/{id}/endpoint"),
            serde_json::json!({"url": hook}),
        )
        .await?;
        let mut target = Target::at(self.nodes[0].addr, path, None, Expect::NewEvent);
        target.addrs = self.addrs();
        target.headers = vec![(USER_AGENT, HeaderValue::from_static(stripe::USER_AGENT))];
        Ok(target)
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        let addr = self.nodes[0].addr;
        let (st, bytes) =
            load::call(addr, Method::POST, path, Some(&self.auth), Some(body)).await?;
        anyhow::ensure!(
            st.is_success(),
            "POST {path}: {st} {}",
            String::from_utf8_lossy(&bytes)
        );
        serde_json::from_slice(&bytes).with_context(|| format!("POST {path}: body not JSON"))
    }
}

/// The path (and query) of an absolute or relative URL.
fn url_path(url: &str) -> Option<String> {
    let rest = match url.split_once("://") {
        Some((_, after_scheme)) => &after_scheme[after_scheme.find('/')?..],
        None => url,
    };
    rest.starts_with('/').then(|| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::url_path;

    #[test]
    fn ingest_url_paths() {
        assert_eq!(
            url_path("http://0.0.0.0:8071/ingest/abc").as_deref(),
            Some("/ingest/abc")
        );
        assert_eq!(
            url_path("https://hooks.example.com/ingest/abc?x=1").as_deref(),
            Some("/ingest/abc?x=1")
        );
        assert_eq!(url_path("/ingest/abc").as_deref(), Some("/ingest/abc"));
        assert_eq!(url_path("http://host-only"), None);
        assert_eq!(url_path("ingest/abc"), None);
    }
}
