//! The startup seam: open the store, load (or create) the keys, bind, then serve the API and
//! run the dispatcher until shutdown (the HTTP side is [`crate::serve`]). Tests and the
//! binary both go through [`Server::build`].

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sluice_core::clock::Clock;
use sluice_core::secretbox::SecretBox;
use sluice_store::postgres::{PgOptions, PgStore};
use sluice_store::sqlite::{SqliteOptions, SqliteStore, Synchronous};
use sluice_store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

use crate::config::{Backend, Config, Durability};
use crate::state::AppState;

/// A bound, not yet serving, server.
pub struct Server {
    listener: TcpListener,
    /// The listener of `metrics_listen`, when `/metrics` has an address of its own.
    metrics_listener: Option<TcpListener>,
    state: AppState,
    /// Whether [`Server::run`] runs the background dispatcher.
    dispatch: bool,
    /// The operational event queue's receiving end, for the publisher task.
    events: tokio::sync::mpsc::Receiver<sluice_core::events::OpEvent>,
}

impl Server {
    /// Opens the store (migrating SQLite; PostgreSQL must have been migrated with `sluice
    /// migrate`), loads keys, and binds `config.listen`.
    pub async fn build(mut config: Config) -> anyhow::Result<Self> {
        let store = open_store(&config).await?;
        let keys = load_or_create_keys(&config)?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        // With port 0 the configured address is not the one to tell others (ingest URLs).
        config.listen = listener.local_addr().context("reading the bound address")?;
        let (sink, events) =
            crate::opwebhooks::OperationalSink::new(crate::opwebhooks::QUEUE_CAPACITY);
        let metrics_listener = match config.metrics_listen.filter(|_| config.metrics_enabled) {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding metrics_listen {addr}"))?,
            ),
            None => None,
        };
        if config.metrics_enabled {
            crate::telemetry::install();
            crate::telemetry::labels::set_max_values(config.metrics_max_label_values);
        }
        let state = AppState {
            store,
            config: Arc::new(config),
            secrets: SecretBox::new(&keys.encryption_key),
            jwt_secret: Arc::new(keys.jwt_secret),
            opened: Arc::default(),
            inbound: Arc::default(),
            events: Arc::new(sink),
            clock: Arc::new(sluice_core::clock::SystemClock),
            heartbeat: Arc::default(),
            task_wake: crate::tasks::TaskWake::default(),
        };
        Ok(Self {
            listener,
            metrics_listener,
            state,
            dispatch: true,
            events,
        })
    }

    /// Serves without the background dispatcher: deliveries wait until something else
    /// drives a [`Dispatcher`](crate::dispatch::Dispatcher) over the same store (tests step
    /// one through time with [`Dispatcher::step`](crate::dispatch::Dispatcher::step)), and
    /// background tasks wait until [`run_due`](crate::tasks::run::run_due) runs them.
    pub fn without_dispatcher(mut self) -> Self {
        self.dispatch = false;
        self
    }

    /// Runs everything on `clock` instead of the system clock: the API's `now`, the
    /// background dispatcher, ingest, cron and maintenance (tests hold time still with a
    /// [`ManualClock`](sluice_core::clock::ManualClock) and share it with a stepped
    /// dispatcher).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.state.clock = clock;
        self
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The address `/metrics` is served on when `metrics_listen` gives it one of its own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .map(|l| l.local_addr().expect("a bound listener has an address"))
    }

    /// The shared state (tests use it to reach the store).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves the API and runs the dispatcher until `shutdown` is cancelled, then drains:
    /// open requests finish, in-flight deliveries finish and are recorded.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Self {
            listener,
            metrics_listener,
            state,
            dispatch,
            events,
        } = self;
        // Every role publishes: API nodes report endpoint changes, workers deliveries. It
        // stops after the dispatcher has drained, so its last events are published too.
        let publisher_stop = CancellationToken::new();
        let publisher = tokio::spawn(crate::opwebhooks::publisher::run(
            state.clone(),
            events,
            publisher_stop.clone(),
        ));
        let limits = crate::serve::Limits::from_config(&state.config);
        warn_if_descriptors_are_short(&limits, state.config.max_in_flight);
        let role = state.config.role;
        let dispatcher = (dispatch && role.dispatches())
            .then(|| crate::dispatch::spawn(state.clone(), shutdown.child_token()));
        let maintenance = tokio::spawn(crate::maintenance::run(
            state.clone(),
            shutdown.child_token(),
        ));
        // Background tasks (recover, replays, purges, stats) run on every node: they share
        // the work through the store's task leases. A test that steps the dispatcher runs
        // them itself too (`tasks::run::run_due`).
        let tasks = dispatch.then(|| {
            tokio::spawn(crate::tasks::run::run(
                state.clone(),
                sluice_core::ids::new_id("node", state.clock.now()),
                shutdown.child_token(),
            ))
        });
        // Cron ticks are ingest: nodes that serve ingest emit them (each tick once, by its
        // dedupe key, however many nodes do).
        let cron = role.serves_api().then(|| {
            tokio::spawn(crate::ingest::cron::run(
                state.clone(),
                shutdown.child_token(),
            ))
        });
        let mut routes = if role.serves_api() {
            crate::api::router(state.clone())
        } else {
            crate::api::health_router(state.clone())
        };
        // `/metrics` on the main listener, unless it has an address of its own.
        let metrics = match metrics_listener {
            Some(l) => Some(tokio::spawn(serve_metrics(
                l,
                state.clone(),
                limits.clone(),
                shutdown.clone(),
            ))),
            None => {
                if state.config.metrics_enabled {
                    routes = routes.merge(crate::telemetry::router(state.clone()));
                }
                None
            }
        };
        // Request ids and the per-request span, inside the normaliser (so the route
        // template is known).
        let routes = crate::trace::layer(routes);
        tracing::info!(?role, "node role");
        // Trailing slashes are optional on every route (as in Svix); the normaliser must wrap
        // the router, since routing happens before any layer added to it.
        let app = NormalizePathLayer::trim_trailing_slash().layer(routes);
        tracing::info!(
            max_connections = limits.max_connections,
            open_files = limits.open_files,
            header_read_timeout_secs = limits.header_read_timeout.as_secs(),
            body_read_timeout_secs = limits.body_read_timeout.as_secs(),
            idle_timeout_secs = limits.idle_timeout.as_secs(),
            "connection limits"
        );
        tracing::info!(addr = %listener.local_addr()?, "sluice listening");
        // Timeouts, the connection cap and graceful shutdown: see `serve`. Handlers get the
        // peer address as `ConnectInfo<SocketAddr>` (sources' IP allow-lists).
        crate::serve::serve(listener, app, limits, shutdown.clone()).await;
        if let Some(dispatcher) = dispatcher {
            let _ = dispatcher.await;
        }
        let _ = maintenance.await;
        if let Some(tasks) = tasks {
            let _ = tasks.await;
        }
        if let Some(cron) = cron {
            let _ = cron.await;
        }
        publisher_stop.cancel();
        let _ = publisher.await;
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        Ok(())
    }
}

/// Serves `/metrics` alone on its own listener until `shutdown`.
async fn serve_metrics(
    listener: TcpListener,
    state: AppState,
    limits: crate::serve::Limits,
    shutdown: CancellationToken,
) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "metrics listening");
    }
    let app = NormalizePathLayer::trim_trailing_slash().layer(crate::telemetry::router(state));
    crate::serve::serve(listener, app, limits, shutdown).await;
}

/// Says so when connections and deliveries together may need more descriptors than the
/// process has: deliveries then fail to connect (and are retried) at peak load.
fn warn_if_descriptors_are_short(limits: &crate::serve::Limits, max_in_flight: usize) {
    let Some(open_files) = limits.open_files else {
        return;
    };
    let wanted = crate::serve::limits::RESERVED_FDS
        .saturating_add(limits.max_connections as u64)
        .saturating_add(max_in_flight as u64);
    if wanted > open_files {
        tracing::warn!(
            open_files,
            wanted,
            "the open-file limit is below max_connections + max_in_flight + reserve; \
             raise the hard limit (e.g. LimitNOFILE) or lower max_in_flight"
        );
    }
}

/// Opens the store `database_url` selects. SQLite is migrated on open (one process owns
/// the file); a PostgreSQL schema that is not the one this binary runs on is refused with a
/// message saying what to run, since nodes of a cluster must not migrate by themselves.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    match config.backend()? {
        Backend::Sqlite(path) => {
            let opts = SqliteOptions {
                synchronous: match config.durability {
                    Durability::Full => Synchronous::Full,
                    Durability::Normal => Synchronous::Normal,
                },
                ..SqliteOptions::default()
            };
            // The store error keeps SQLite's as its source: the whole chain reaches the
            // operator.
            let store = SqliteStore::open(&path, opts)
                .with_context(|| format!("opening {}", path.display()))?;
            Ok(Arc::new(store))
        }
        Backend::Postgres(url) => {
            let opts = PgOptions {
                pool_size: config.database_pool_size,
                ..PgOptions::default()
            };
            let store = PgStore::connect(&url, opts)
                .await
                .context("connecting to PostgreSQL")?;
            Ok(Arc::new(store))
        }
    }
}

/// Brings the selected database's schema up to date (`sluice migrate`); returns what was
/// done, for the operator.
pub async fn migrate_store(config: &Config) -> anyhow::Result<String> {
    match config.backend()? {
        Backend::Sqlite(path) => {
            open_store(config).await?;
            Ok(format!(
                "SQLite database at {} is up to date",
                path.display()
            ))
        }
        Backend::Postgres(url) => {
            let m = PgStore::migrate(&url)
                .await
                .context("migrating the PostgreSQL schema")?;
            Ok(if m.from == m.to {
                format!("PostgreSQL schema is up to date (version {})", m.to)
            } else {
                format!(
                    "PostgreSQL schema migrated from version {} to {}",
                    m.from, m.to
                )
            })
        }
    }
}

/// Key material the server needs.
pub struct Keys {
    /// HS256 secret for API tokens.
    pub jwt_secret: Vec<u8>,
    /// Master key for endpoint secrets.
    pub encryption_key: [u8; 32],
}

/// Keys from the config, or generated once into the data dir (mode 0600) and reused.
pub fn load_or_create_keys(config: &Config) -> anyhow::Result<Keys> {
    // Owner-only: `sluice token` may create it before the store does.
    sluice_store::sqlite::create_private_dir(&config.data_dir)
        .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
    let jwt_secret = match &config.jwt_secret {
        Some(s) => s.as_bytes().to_vec(),
        None => {
            let generated = || STANDARD.encode(SecretBox::generate_key());
            read_or_create(&config.data_dir.join("jwt_secret"), generated)?.into_bytes()
        }
    };
    let key_b64 = match &config.encryption_key {
        Some(k) => k.clone(),
        None => read_or_create(&config.data_dir.join("encryption_key"), || {
            STANDARD.encode(SecretBox::generate_key())
        })?,
    };
    let encryption_key: [u8; 32] = STANDARD
        .decode(key_b64.trim())
        .ok()
        .and_then(|k| k.try_into().ok())
        .context("encryption_key must be base64 of 32 bytes")?;
    Ok(Keys {
        jwt_secret,
        encryption_key,
    })
}

fn read_or_create(path: &Path, generate: impl FnOnce() -> String) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(s.trim().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let value = generate();
            write_private(path, &value).with_context(|| format!("writing {}", path.display()))?;
            Ok(value)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, value: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(value.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, value: &str) -> std::io::Result<()> {
    std::fs::write(path, value)
}
