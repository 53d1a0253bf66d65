//! The webhook receiver Sluice delivers to: answers every `POST` with 200 at once, counts
//! deliveries, and for bodies marked `measure` keeps receive time − send time.
//!
//! Control routes (used by the bench only): `GET /stats` → [`Stats`] as JSON;
//! `POST /reset?target=N` clears everything and records when the count reaches N;
//! `POST /target?target=N` lowers the target afterwards (when fewer messages were accepted).

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::payload::{now_ns, Delivered};
use crate::stats::{Summary, MAX_SAMPLES};

/// What the receiver reports.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Deliveries received since the last reset.
    pub count: u64,
    /// Of those, deliveries marked `measure`.
    pub measured: u64,
    /// Unix ns at which `count` reached the target (0 if not yet).
    pub target_reached_ns: u64,
    /// Unix ns of the first delivery since the reset (0 if none).
    pub first_ns: u64,
    /// Delivery latency of measured deliveries.
    pub latency: Summary,
}

#[derive(Default)]
struct Inner {
    count: u64,
    measured: u64,
    target: u64,
    target_reached_ns: u64,
    first_ns: u64,
    lat_ns: Vec<u64>,
}

type Shared = Arc<Mutex<Inner>>;

async fn hook(State(s): State<Shared>, body: Bytes) -> StatusCode {
    let now = now_ns();
    let d = Delivered::parse(&body);
    let mut s = s.lock().expect("receiver state");
    s.count += 1;
    if s.first_ns == 0 {
        s.first_ns = now;
    }
    if s.count == s.target {
        s.target_reached_ns = now;
    }
    if d.measured() {
        s.measured += 1;
        if s.lat_ns.len() < MAX_SAMPLES {
            s.lat_ns.push(now.saturating_sub(d.sent_at_ns));
        }
    }
    StatusCode::OK
}

async fn stats(State(s): State<Shared>) -> Json<Stats> {
    let (mut stats, mut lat) = {
        let s = s.lock().expect("receiver state");
        let stats = Stats {
            count: s.count,
            measured: s.measured,
            target_reached_ns: s.target_reached_ns,
            first_ns: s.first_ns,
            latency: Summary::default(),
        };
        (stats, s.lat_ns.clone())
    };
    stats.latency = Summary::of_ns(&mut lat);
    Json(stats)
}

#[derive(Deserialize)]
struct Reset {
    #[serde(default)]
    target: u64,
}

async fn reset(State(s): State<Shared>, Query(q): Query<Reset>) -> StatusCode {
    *s.lock().expect("receiver state") = Inner {
        target: q.target,
        ..Inner::default()
    };
    StatusCode::NO_CONTENT
}

async fn set_target(State(s): State<Shared>, Query(q): Query<Reset>) -> StatusCode {
    let mut s = s.lock().expect("receiver state");
    s.target = q.target;
    if s.count >= q.target && s.target_reached_ns == 0 {
        s.target_reached_ns = now_ns();
    }
    StatusCode::NO_CONTENT
}

/// Serves the receiver on `listener` until the process is ended.
pub async fn serve(listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let app = Router::new()
        .route("/stats", get(stats))
        .route("/reset", post(reset))
        .route("/target", post(set_target))
        .fallback(hook)
        .with_state(Shared::default());
    axum::serve(listener, app).await?;
    Ok(())
}
