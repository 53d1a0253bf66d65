//! Metrics: the process's Prometheus recorder, the `/metrics` route, bounded labels, the
//! list of every series the server emits, and the dispatcher's heartbeat that health reads.
//!
//! # One recorder per process
//! The `metrics` crate records into one global recorder, so [`install`] installs the
//! Prometheus exporter once (the first server built does it) and every server of the
//! process renders the same handle. In tests, where many servers share a process, a
//! counter is the sum over all of them: tests check deltas, never absolute values.
//!
//! # Gauges sampled at scrape time
//! The queue gauges (`sluice_queue_*`, `sluice_dead_letters`) are read from the store
//! ([`Store::queue_depths`](sluice_store::Store::queue_depths)) when `/metrics` is scraped,
//! under one process-wide lock with the rendering: a scrape shows the state of the store
//! of the server it asked, costs nothing while nobody scrapes, and is never older than the
//! scrape. The read is bounded (see `queue_depths`) and given [`SAMPLE_TIMEOUT`]; if the
//! store does not answer in time the gauges keep their previous values and
//! `sluice_metrics_sample_failures_total` counts the miss.
//!
//! # Parts
//! - [`labels`]: [`bounded_label`], the cap on distinct label values per kind.
//! - [`series`]: [`series::SERIES`], every series with its type and labels (docs and the
//!   dashboard test read it).
//! - [`heartbeat`]: when the dispatcher last made progress.

pub mod heartbeat;
pub mod labels;
pub mod series;

use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub use self::heartbeat::Heartbeat;
pub use self::labels::bounded_label;
use crate::state::AppState;

/// Longest a scrape waits for the store's queue depths.
pub const SAMPLE_TIMEOUT: Duration = Duration::from_secs(2);

/// Buckets of delivery latencies: webhook receivers answer in milliseconds to seconds,
/// and a try is cut at the request timeout (15 s by default).
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0,
];
/// Buckets of store commits: sub-millisecond (SQLite without fsync) to seconds (a stalled
/// disk or a remote database under load).
const COMMIT_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Buckets of items per commit, powers of two up to the batchers' caps.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's Prometheus recorder, once, and returns its handle (the same one
/// on every call). If another recorder was installed first (Sluice embedded in a program
/// with its own), the handle renders only the descriptions, and that is logged.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(sluice_store::commits::COMMIT_SECONDS.into()),
                    COMMIT_BUCKETS,
                )
            })
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(sluice_store::commits::BATCH_SIZE.into()),
                    BATCH_BUCKETS,
                )
            })
            .expect("bucket lists are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows nothing");
        }
        series::describe();
        handle
    })
}

/// The `/metrics` route alone (merged into the main router, or served on `metrics_listen`).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

/// Serialises sampling and rendering across the servers of a process (see the module docs).
static SCRAPE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `GET /metrics`: the Prometheus text exposition format (version 0.0.4), no
/// authentication (put it on `metrics_listen` to keep it off the public listener).
async fn scrape(State(state): State<AppState>) -> impl IntoResponse {
    let handle = install();
    let _one = SCRAPE.lock().await;
    sample_queue(&state).await;
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}

/// Sets the queue gauges from the store, cluster-wide values every node reads alike
/// (aggregate them across nodes with `max`, not `sum`).
async fn sample_queue(state: &AppState) {
    let now = state.clock.now();
    let depths = match tokio::time::timeout(SAMPLE_TIMEOUT, state.store.queue_depths(now)).await {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "reading queue depths for /metrics failed");
            metrics::counter!(series::SAMPLE_FAILURES).increment(1);
            return;
        }
        Err(_) => {
            tracing::warn!("reading queue depths for /metrics timed out");
            metrics::counter!(series::SAMPLE_FAILURES).increment(1);
            return;
        }
    };
    let gauge = |state: &'static str, n: u64| {
        metrics::gauge!(series::QUEUE_DELIVERIES, "state" => state).set(n as f64);
    };
    gauge("due", depths.due);
    gauge("held", depths.held);
    gauge("scheduled", depths.scheduled);
    gauge("in_flight", depths.in_flight);
    metrics::gauge!(series::DEAD_LETTERS).set(depths.dead_letters as f64);
    let lag_ms = depths
        .oldest_due_at
        .map_or(0, |at| now.saturating_sub(at).max(0));
    metrics::gauge!(series::QUEUE_LAG).set(lag_ms as f64 / 1000.0);
    // The dispatcher sets it when its own batch opens or closes a circuit; read here too,
    // so that every node shows the cluster's count (another node's changes included).
    match tokio::time::timeout(SAMPLE_TIMEOUT, state.store.open_circuits()).await {
        Ok(Ok(n)) => metrics::gauge!("sluice_circuit_open_endpoints").set(n as f64),
        _ => metrics::counter!(series::SAMPLE_FAILURES).increment(1),
    }
}

/// Counts one message taken in for `app_id` from `source` (a source id, or `api` for a
/// publish through the API); both labels are capped by [`bounded_label`].
pub fn count_ingested(app_id: &str, source: &str) {
    metrics::counter!(
        series::INGESTED,
        "app" => bounded_label("app", app_id),
        "source" => bounded_label("source", source),
    )
    .increment(1);
}

/// Counts one inbound request refused for `reason` (a verification code, or
/// `forbidden_ip`, `too_large`, `not_text`, `unknown_token`).
pub fn count_rejection(reason: &'static str) {
    metrics::counter!(series::INBOUND_REJECTIONS, "reason" => reason).increment(1);
}
