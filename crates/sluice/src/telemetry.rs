//! Logging: `SLUICE_LOG` (or `RUST_LOG`) filter, default `info`; `SLUICE_LOG_FORMAT=json`
//! for machine-readable lines. Secrets, signatures and payloads are never logged.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber.
pub fn init() {
    let filter = std::env::var("SLUICE_LOG")
        .ok()
        .map(EnvFilter::new)
        .unwrap_or_else(|| {
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
        });
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if std::env::var("SLUICE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
