//! Server configuration. Read by the binary from `sluice.toml` and `SLUICE_*` environment
//! variables (same keys); tests build it directly. Defaults are the safe ones: loopback
//! listen, private networks blocked, durable commits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use serde::{Deserialize, Deserializer};
use sluice_core::retry::RetrySchedule;

/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * 3_600_000;

/// Which header names outbound signatures use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SignatureHeaders {
    /// `webhook-id`, `webhook-timestamp`, `webhook-signature` (Standard Webhooks).
    #[default]
    Webhook,
    /// `svix-id`, `svix-timestamp`, `svix-signature` (drop-in for Svix receivers).
    Svix,
}

/// How hard a commit is pushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// fsync on every commit: survives power loss (default).
    #[default]
    Full,
    /// fsync at WAL checkpoints only: survives a process crash, may lose the last commits
    /// on power loss.
    Normal,
}

/// What a node runs (`sluice serve --role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The API, ingest and the dispatcher (default; the only sensible role on SQLite).
    #[default]
    All,
    /// The API and ingest, no deliveries: scale request handling on its own.
    Api,
    /// Deliveries only; its HTTP listener answers the health routes, for load balancers and
    /// orchestrators, and nothing else.
    Worker,
}

impl Role {
    /// Whether this role runs the background dispatcher.
    pub fn dispatches(self) -> bool {
        matches!(self, Role::All | Role::Worker)
    }

    /// Whether this role serves the API and ingest routes.
    pub fn serves_api(self) -> bool {
        matches!(self, Role::All | Role::Api)
    }
}

/// Which store a `database_url` selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite file at this path.
    Sqlite(PathBuf),
    /// A PostgreSQL database at this URL (`postgres://` or `postgresql://`).
    Postgres(String),
}

/// Everything the server needs to run.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address of the HTTP listener.
    pub listen: SocketAddr,
    /// Directory of the SQLite file and generated keys.
    pub data_dir: PathBuf,
    /// `postgres://…` selects PostgreSQL; `sqlite:PATH` or nothing the embedded SQLite file
    /// (default `<data_dir>/sluice.db`).
    pub database_url: Option<String>,
    /// PostgreSQL connections per node (ignored on SQLite).
    pub database_pool_size: usize,
    /// What this node runs: `all`, `api` or `worker`.
    pub role: Role,
    /// HS256 secret for API tokens; generated into the data dir when unset.
    pub jwt_secret: Option<String>,
    /// Base64 of the 32-byte key that encrypts endpoint secrets; generated when unset.
    pub encryption_key: Option<String>,
    /// Networks deliveries may reach even though they are private (CIDR list, or a
    /// comma-separated string in the environment).
    #[serde(deserialize_with = "de_networks")]
    pub allowed_networks: Vec<IpNet>,
    /// Seconds between tries, e.g. `[5, 300, 1800]` or `"5,300,1800"`.
    #[serde(deserialize_with = "de_schedule")]
    pub retry_schedule: Vec<u64>,
    /// Per-request timeout of a delivery, in seconds.
    pub request_timeout: u64,
    /// Largest accepted request body, in bytes.
    pub max_payload_bytes: usize,
    /// Header names of outbound signatures.
    pub signature_headers: SignatureHeaders,
    /// Commit durability.
    pub durability: Durability,
    /// Most deliveries in flight to one endpoint at once.
    pub endpoint_concurrency: usize,
    /// Most deliveries in flight in this process.
    pub max_in_flight: usize,
    /// Most deliveries one application holds in flight in this process (claimed, sending or
    /// queued for a send slot), so one tenant's endpoints that never answer cannot take the
    /// slots of the others. Default: a quarter of `max_in_flight`, at least
    /// `endpoint_concurrency + 1`; see [`Config::app_share`].
    pub max_in_flight_per_app: Option<usize>,
    /// Largest response body kept per attempt, in bytes.
    pub max_response_bytes: usize,
    /// Consecutive failed tries of one endpoint (429s and 503s with `Retry-After` do not
    /// count) that open its circuit: its deliveries then wait, one probe per cool-down.
    pub circuit_failure_threshold: u32,
    /// First cool-down of an open circuit, in seconds; doubled after each failed probe.
    pub circuit_cooldown_secs: u64,
    /// Longest cool-down of an open circuit, in seconds.
    pub circuit_max_cooldown_secs: u64,
    /// An endpoint failing without any success for this many seconds is disabled
    /// (default 5 days); its deliveries are kept and go out when it is re-enabled.
    pub endpoint_disable_after_secs: u64,
    /// How long a source remembers a provider event id to drop redeliveries, in seconds
    /// (default 7 days).
    pub inbound_dedupe_window_secs: u64,
    /// Absolute base URL of this server as reachable by others (portal links, source
    /// ingest URLs; behind a TLS-terminating proxy this must be the proxy's URL).
    pub public_url: Option<String>,
    /// Seconds a client has to send a request's headers, counted from the accept (first
    /// request) or from the first byte of the next request on a kept-alive connection.
    /// Closes slowloris connections.
    pub header_read_timeout_secs: u64,
    /// Seconds a client has to send a whole request body once the server starts reading it;
    /// a stalled or trickled upload gets 408 and the connection is closed.
    pub body_read_timeout_secs: u64,
    /// Seconds a kept-alive connection may wait for its next request before it is closed.
    pub idle_timeout_secs: u64,
    /// Most open client connections. Unset: derived from the open-file limit (see README).
    /// At the cap, the connections idle longest are closed to admit new ones.
    pub max_connections: Option<usize>,
    /// Items one batch of a background task handles (deliveries re-queued, messages
    /// replayed or expunged) in one transaction; 1..=250, larger values are capped.
    pub task_batch_size: usize,
    /// Whether `/metrics` is served (Prometheus text, no authentication).
    pub metrics_enabled: bool,
    /// Serve `/metrics` on this address of its own (e.g. `127.0.0.1:9464`) instead of on
    /// `listen`; the main listener then does not serve it.
    pub metrics_listen: Option<SocketAddr>,
    /// Most distinct values a user-data label (`app`, `source`) takes in the metrics; later
    /// values are recorded as `other`.
    pub metrics_max_label_values: usize,
    /// Seconds work may be due while the dispatcher makes no progress before
    /// `/api/v1/health` reports it unhealthy (503).
    pub dispatcher_stall_secs: u64,
    /// Verification failures of one source within `source_failure_alert_window_secs` that
    /// raise a `source.verification.failing` operational event (at most one per source per
    /// window, counted per node); 0 turns it off.
    pub source_failure_alert_threshold: u64,
    /// Length of the window `source_failure_alert_threshold` counts in, in seconds.
    pub source_failure_alert_window_secs: u64,
    /// Days a message's payload is kept when the publish does not say
    /// (`payloadRetentionPeriod`); then it is expunged, the message's metadata and attempts
    /// staying. 0: payloads are kept unless the message asks for less.
    pub payload_retention_days: u32,
    /// Days after which attempts, and messages whose deliveries are all finished, are
    /// deleted. Unset (the default): nothing is deleted, since the delivery log is what an
    /// operator investigates with and dropping it must be chosen.
    pub prune_after_days: Option<u32>,
    /// Most rows one retention transaction touches (expired payloads, pruned attempts, or
    /// messages examined), so ingest never waits long behind a pass.
    pub retention_batch_size: usize,
    /// Log line format: `text` (default) or `json`. `SLUICE_LOG_FORMAT=json` also works.
    pub log_format: LogFormat,
    /// OTLP/HTTP collector base URL (e.g. `http://127.0.0.1:4318`); traces are exported
    /// to `<url>/v1/traces` when set.
    pub otlp_endpoint: Option<String>,
    /// `service.name` of exported traces.
    pub otlp_service_name: String,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, with the span fields (`request_id`, ...).
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8071".parse().expect("valid literal"),
            data_dir: PathBuf::from("./sluice-data"),
            database_url: None,
            database_pool_size: 16,
            role: Role::All,
            jwt_secret: None,
            encryption_key: None,
            allowed_networks: Vec::new(),
            retry_schedule: sluice_core::retry::DEFAULT_SCHEDULE_SECS.to_vec(),
            request_timeout: 15,
            max_payload_bytes: 1024 * 1024,
            signature_headers: SignatureHeaders::Webhook,
            durability: Durability::Full,
            endpoint_concurrency: 32,
            max_in_flight: 1024,
            max_in_flight_per_app: None,
            max_response_bytes: 20_000,
            circuit_failure_threshold: 5,
            circuit_cooldown_secs: 30,
            circuit_max_cooldown_secs: 900,
            endpoint_disable_after_secs: 5 * 86_400,
            inbound_dedupe_window_secs: 7 * 24 * 3600,
            public_url: None,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
            idle_timeout_secs: 60,
            max_connections: None,
            source_failure_alert_threshold: 20,
            source_failure_alert_window_secs: 300,
            payload_retention_days: 90,
            prune_after_days: None,
            retention_batch_size: 500,
            log_format: LogFormat::Text,
            otlp_endpoint: None,
            otlp_service_name: "sluice".into(),
            metrics_enabled: true,
            metrics_listen: None,
            metrics_max_label_values: crate::telemetry::labels::DEFAULT_MAX_VALUES,
            dispatcher_stall_secs: 60,
            task_batch_size: 200,
        }
    }
}

impl Config {
    /// The circuit breaker and auto-disable thresholds as the domain type.
    pub fn control_policy(&self) -> sluice_core::control::ControlPolicy {
        let ms = |secs: u64| i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX / 4);
        sluice_core::control::ControlPolicy {
            failure_threshold: self.circuit_failure_threshold.max(1),
            cooldown_ms: ms(self.circuit_cooldown_secs.max(1)),
            max_cooldown_ms: ms(self
                .circuit_max_cooldown_secs
                .max(self.circuit_cooldown_secs)),
            disable_after_ms: ms(self.endpoint_disable_after_secs),
        }
    }

    /// The retry schedule as the domain type.
    pub fn schedule(&self) -> RetrySchedule {
        RetrySchedule::from_secs(&self.retry_schedule)
    }

    /// The absolute base URL others reach this server at, without a trailing slash:
    /// `public_url`, else `http://<listen>` (startup records the bound address there).
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Most deliveries one application may hold in flight: `max_in_flight_per_app`, else a
    /// quarter of `max_in_flight` but at least `endpoint_concurrency + 1` (so one endpoint at
    /// its cap never takes its whole application's share); never more than `max_in_flight`
    /// and never 0.
    pub fn app_share(&self) -> usize {
        let total = self.max_in_flight.max(1);
        let share = self
            .max_in_flight_per_app
            .unwrap_or_else(|| (total / 4).max(self.endpoint_concurrency.saturating_add(1)));
        share.clamp(1, total)
    }

    /// How long a payload is kept by default, in milliseconds; `None` when kept until
    /// expunged.
    pub fn payload_retention_ms(&self) -> Option<i64> {
        (self.payload_retention_days > 0).then(|| i64::from(self.payload_retention_days) * DAY_MS)
    }

    /// Items per background-task batch, within the store's page bounds.
    pub fn task_batch(&self) -> usize {
        self.task_batch_size.clamp(1, 250)
    }

    /// The delivery request timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout.max(1))
    }

    /// The store `database_url` selects: `postgres://` or `postgresql://` URLs select
    /// PostgreSQL; `sqlite:PATH`, `sqlite://PATH` or no URL select the SQLite file (by
    /// default inside `data_dir`). Any other scheme is refused with a clear message.
    pub fn backend(&self) -> anyhow::Result<Backend> {
        let Some(url) = &self.database_url else {
            return Ok(Backend::Sqlite(self.data_dir.join("sluice.db")));
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres(url.clone()));
        }
        if let Some(p) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            return Ok(Backend::Sqlite(PathBuf::from(p)));
        }
        anyhow::bail!(
            "database_url must start with sqlite: or postgres:// (got a URL starting {:?})",
            url.split(':').next().unwrap_or_default()
        )
    }
}

/// Accepts a list of integers or a comma-separated string (the Svix env-var form).
fn de_schedule<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<u64>),
        One(u64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::List(v) => Ok(v),
        Raw::One(n) => Ok(vec![n]),
        Raw::Text(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<u64>().map_err(serde::de::Error::custom))
            .collect(),
    }
}

/// Accepts a list of CIDRs or a comma-separated string; a bare address means a single host.
fn de_networks<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
    }
    let items = match Raw::deserialize(d)? {
        Raw::List(v) => v,
        Raw::Text(s) => s
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
    };
    items
        .iter()
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| serde::de::Error::custom(format!("invalid network {s:?}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_and_networks_accept_env_strings() {
        let c: Config = serde_json::from_value(serde_json::json!({
            "retry_schedule": "1, 1,1",
            "allowed_networks": "127.0.0.0/8,::1",
        }))
        .unwrap();
        assert_eq!(c.retry_schedule, vec![1, 1, 1]);
        assert_eq!(c.allowed_networks.len(), 2);
        assert!(c.allowed_networks[1].contains(&"::1".parse::<std::net::IpAddr>().unwrap()));
        let c: Config =
            serde_json::from_value(serde_json::json!({"retry_schedule": [5, 300]})).unwrap();
        assert_eq!(c.schedule().max_attempts(), 3);
        assert_eq!(c.schedule(), RetrySchedule::from_secs(&[5, 300]));
        assert!(
            serde_json::from_value::<Config>(serde_json::json!({"allowed_networks": "nope"}))
                .is_err()
        );
        assert!(serde_json::from_value::<Config>(serde_json::json!({"listne": "x"})).is_err());
    }

    #[test]
    fn metrics_and_health_keys_have_safe_defaults_and_parse() {
        let d = Config::default();
        assert!(d.metrics_enabled);
        assert_eq!(
            d.metrics_listen, None,
            "served on the main listener by default"
        );
        assert_eq!(
            (d.metrics_max_label_values, d.dispatcher_stall_secs),
            (100, 60)
        );
        let c: Config = serde_json::from_value(serde_json::json!({
            "metrics_enabled": false,
            "metrics_listen": "127.0.0.1:9464",
            "metrics_max_label_values": 5,
            "dispatcher_stall_secs": 120,
        }))
        .unwrap();
        assert!(!c.metrics_enabled);
        assert_eq!(c.metrics_listen, Some("127.0.0.1:9464".parse().unwrap()));
        assert_eq!(
            (c.metrics_max_label_values, c.dispatcher_stall_secs),
            (5, 120)
        );
        assert!(
            serde_json::from_value::<Config>(serde_json::json!({"metrics_listen": "nope"}))
                .is_err()
        );
    }

    #[test]
    fn app_share_defaults_to_a_quarter_and_is_bounded() {
        let c = |total, cap, set| Config {
            max_in_flight: total,
            endpoint_concurrency: cap,
            max_in_flight_per_app: set,
            ..Config::default()
        };
        assert_eq!(Config::default().app_share(), 256);
        assert_eq!(c(16, 2, None).app_share(), 4);
        // Room beyond one endpoint at its cap, but never beyond the process.
        assert_eq!(c(16, 8, None).app_share(), 9);
        assert_eq!(c(4, 8, None).app_share(), 4);
        assert_eq!(c(1024, 32, Some(50)).app_share(), 50);
        assert_eq!(c(1024, 32, Some(5000)).app_share(), 1024);
        assert_eq!(c(1024, 32, Some(0)).app_share(), 1);
    }

    #[test]
    fn database_url_selects_the_backend() {
        let mut c = Config::default();
        assert_eq!(
            c.backend().unwrap(),
            Backend::Sqlite(PathBuf::from("./sluice-data/sluice.db"))
        );
        c.database_url = Some("sqlite:///tmp/x.db".into());
        assert_eq!(c.backend().unwrap(), Backend::Sqlite("/tmp/x.db".into()));
        c.database_url = Some("sqlite:rel.db".into());
        assert_eq!(c.backend().unwrap(), Backend::Sqlite("rel.db".into()));
        for url in ["postgres://u:p@localhost/db", "postgresql://localhost/db"] {
            c.database_url = Some(url.into());
            assert_eq!(c.backend().unwrap(), Backend::Postgres(url.into()));
        }
        c.database_url = Some("mysql://root:hunter2@localhost/db".into());
        let err = c.backend().unwrap_err().to_string();
        assert!(err.contains("mysql") && !err.contains("hunter2"), "{err}");
    }
}
