//! PostgreSQL for the PostgreSQL phases: the base URL, a fresh schema per phase (created
//! with SQL, dropped at the end of the phase), the server's durability settings for the
//! entry, and the pids of the backends serving a phase's own connections.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use anyhow::Context;
use tokio_postgres::NoTls;

/// The database URL: `--pg-url`, else what `scripts/ensure-postgres` prints (it starts the
/// local server and creates the test role and database if needed).
pub fn base_url(given: Option<&str>, repo: &Path) -> anyhow::Result<String> {
    if let Some(url) = given {
        return Ok(url.to_string());
    }
    let out = Command::new(repo.join("scripts/ensure-postgres"))
        .output()
        .context("running scripts/ensure-postgres")?;
    anyhow::ensure!(
        out.status.success(),
        "scripts/ensure-postgres failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let url = String::from_utf8(out.stdout)?.trim().to_string();
    anyhow::ensure!(
        url.starts_with("postgres"),
        "ensure-postgres printed {url:?}"
    );
    Ok(url)
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))?;
    tokio::spawn(conn);
    Ok(client)
}

/// `synchronous_commit`, `fsync`, `wal_sync_method`, `shared_buffers`, `max_connections`
/// and the server version, for the entry (and a refusal if durability is weakened).
pub async fn settings(url: &str) -> anyhow::Result<String> {
    let c = connect(url).await?;
    let mut parts = Vec::new();
    for name in [
        "server_version",
        "synchronous_commit",
        "fsync",
        "wal_sync_method",
        "shared_buffers",
        "max_connections",
    ] {
        let row = c.query_one(&format!("SHOW {name}"), &[]).await?;
        let value: String = row.get(0);
        if matches!(name, "synchronous_commit" | "fsync") {
            anyhow::ensure!(
                value == "on",
                "PostgreSQL has {name}={value}: the bench measures durable commits only"
            );
        }
        parts.push(format!("{name}={value}"));
    }
    Ok(parts.join(" "))
}

/// A fresh schema, dropped (with the sessions still using it) when this is dropped.
pub struct Schema {
    base: String,
    name: String,
    url: String,
}

impl Schema {
    pub async fn create(base: &str) -> anyhow::Result<Self> {
        let name = format!("b_{:016x}", nonce());
        connect(base)
            .await?
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .with_context(|| format!("CREATE SCHEMA {name}"))?;
        let sep = if base.contains('?') { '&' } else { '?' };
        // The application name marks the phase's sessions: their CPU is shown apart, and
        // the cleanup ends any that are left.
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}&application_name={name}");
        Ok(Self {
            base: base.to_string(),
            name,
            url,
        })
    }

    /// The URL whose sessions use this schema.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Pids of the backends serving this schema's sessions now.
    pub async fn backends(&self) -> anyhow::Result<HashSet<u32>> {
        let rows = connect(&self.base)
            .await?
            .query(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
                &[&self.name],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get::<_, i32>(0) as u32).collect())
    }

    async fn drop_now(base: String, name: String) -> anyhow::Result<()> {
        connect(&base)
            .await?
            .batch_execute(&format!(
                "SET lock_timeout = '10s';
                 SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                  WHERE application_name = '{name}' AND pid <> pg_backend_pid();
                 DROP SCHEMA IF EXISTS {name} CASCADE"
            ))
            .await?;
        Ok(())
    }
}

impl Drop for Schema {
    /// Drops the schema on a thread of its own (this may run inside the bench's runtime).
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(Self::drop_now(base, name))
        })
        .join();
        if let Ok(Err(e)) = done {
            eprintln!("[bench] warning: dropping schema {}: {e:#}", self.name);
        }
    }
}

fn nonce() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (t.as_nanos() as u64) ^ (u64::from(std::process::id()) << 40)
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_password() {
        assert_eq!(
            super::redact("postgres://u:secret@127.0.0.1:5432/db"),
            "postgres://u:***@127.0.0.1:5432/db"
        );
        assert_eq!(super::redact("postgres:///db"), "postgres:///db");
    }
}
