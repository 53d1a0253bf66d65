//! Loads the configuration: built-in defaults < `sluice.toml` < `SLUICE_*` environment
//! variables (same keys, upper-cased) < command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use sluice_server::config::Config;

/// Keys that may come from the environment; other `SLUICE_*` variables (e.g. test settings)
/// are not configuration and are ignored rather than rejected.
const KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "database_pool_size",
    "role",
    "jwt_secret",
    "encryption_key",
    "allowed_networks",
    "retry_schedule",
    "request_timeout",
    "max_payload_bytes",
    "signature_headers",
    "durability",
    "endpoint_concurrency",
    "max_in_flight",
    "max_in_flight_per_app",
    "max_response_bytes",
    "public_url",
    "inbound_dedupe_window_secs",
    "header_read_timeout_secs",
    "body_read_timeout_secs",
    "idle_timeout_secs",
    "max_connections",
    "source_failure_alert_threshold",
    "source_failure_alert_window_secs",
    "payload_retention_days",
    "prune_after_days",
    "retention_batch_size",
    "log_format",
    "otlp_endpoint",
    "otlp_service_name",
    "metrics_enabled",
    "metrics_listen",
    "metrics_max_label_values",
    "dispatcher_stall_secs",
    "task_batch_size",
];

/// The effective configuration.
pub fn load(
    file: Option<&Path>,
    data_dir: Option<PathBuf>,
    listen: Option<SocketAddr>,
    role: Option<&str>,
) -> anyhow::Result<Config> {
    let mut fig = Figment::new();
    match file {
        Some(path) => {
            anyhow::ensure!(path.exists(), "config file {} not found", path.display());
            fig = fig.merge(Toml::file(path));
        }
        None => fig = fig.merge(Toml::file("sluice.toml")),
    }
    fig = fig.merge(Env::prefixed("SLUICE_").only(KEYS));
    if let Some(dir) = data_dir {
        fig = fig.merge(Serialized::default("data_dir", dir));
    }
    if let Some(addr) = listen {
        fig = fig.merge(Serialized::default("listen", addr.to_string()));
    }
    if let Some(role) = role {
        fig = fig.merge(Serialized::default("role", role));
    }
    fig.extract::<Config>().context("invalid configuration")
}
