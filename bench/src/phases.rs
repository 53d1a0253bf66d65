//! The five measurements. Each Sluice phase starts a fresh [`Sluice`]: `sluice serve` on a
//! fresh temporary data dir (default durability: fsync on every commit), or for ingest and
//! end-to-end also one or more nodes on a fresh PostgreSQL schema, with one app (or, for the
//! inbound phase, one Stripe source) whose one endpoint points at the receiver, and stops it
//! (removing the dir and the schema) at the end of the phase.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode};
use tokio::time::{sleep, Instant};

use crate::child;
use crate::cpu::{Meter, Usage};
use crate::load::{self, Body, Expect, Outcome, Target};
use crate::payload::{self, now_ns};
use crate::receiver;
use crate::server::{Sluice, Store};
use crate::stats::Summary;
use crate::stripe;
use crate::Settings;

/// The receiver process the Sluice phases deliver to.
pub struct Receiver {
    pub addr: SocketAddr,
    pub pid: u32,
}

/// A closed-loop figure: answered requests per second over the measured window.
#[derive(Debug)]
pub struct Throughput {
    pub per_sec: f64,
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub ack: Summary,
    pub cpu: Usage,
}

impl Throughput {
    fn of(mut out: Outcome, window: Duration, cpu: Usage) -> Self {
        Self {
            cpu,
            per_sec: out.ok as f64 / window.as_secs_f64(),
            ok: out.ok,
            errors: out.errors,
            first_error: out.first_error.take(),
            ack: Summary::of_ns(&mut out.lat_ns),
        }
    }
}

/// Durable ingest, plus how many deliveries the dispatcher made meanwhile.
#[derive(Debug)]
pub struct Ingest {
    pub load: Throughput,
    pub delivered_meanwhile: u64,
}

/// End-to-end: N published as fast as possible, until the receiver has counted N.
#[derive(Debug)]
pub struct EndToEnd {
    pub published: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub publish_secs: f64,
    pub delivered: u64,
    /// Seconds from the first publish until the receiver counted `published` deliveries.
    pub total_secs: Option<f64>,
    /// Seconds from the first publish to the end of the wait (the time limit if not all came).
    pub wall_secs: f64,
    pub cpu: Usage,
}

impl EndToEnd {
    pub fn per_sec(&self) -> Option<f64> {
        self.total_secs.map(|t| self.published as f64 / t)
    }
}

/// Delivery latency under a steady open-loop rate.
#[derive(Debug)]
pub struct Latency {
    pub accepted: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub late_sends: u64,
    pub ack: Summary,
    pub delivered: u64,
    pub delivery: Summary,
    pub cpu: Usage,
}

/// Phase 1: the bare axum server (a child process), closed loop.
pub async fn ceiling(s: &Settings) -> anyhow::Result<Throughput> {
    let (server, addr) = child::spawn_helper("bare-server")?;
    let path = "/api/v1/app/app_bench/msg".to_string();
    let target = Target::at(addr, path, None, Expect::Status(StatusCode::ACCEPTED));
    let meter = Meter::start(&[server.pid()], None, false);
    let out = load::closed_loop(&target, body(), s.connections, s.warmup(), s.duration()).await;
    Ok(Throughput::of(
        out,
        s.duration(),
        meter.stop(&Default::default()),
    ))
}

/// Phase 2: Sluice ingest, closed loop, with the dispatcher delivering meanwhile.
pub async fn ingest(s: &Settings, rx: &Receiver, store: &Store) -> anyhow::Result<Ingest> {
    let mut sluice = Sluice::start(s, "ingest", store).await?;
    let target = sluice.app_with_endpoint(rx.addr).await?;
    rx_reset(rx, 0).await?;
    let meter = sluice.meter(rx.pid);
    let out = load::closed_loop(&target, body(), s.connections, s.warmup(), s.duration()).await;
    let cpu = sluice.usage(&meter).await;
    sluice.alive()?;
    let delivered_meanwhile = rx_stats(rx).await?.count;
    Ok(Ingest {
        load: Throughput::of(out, s.duration(), cpu),
        delivered_meanwhile,
    })
}

/// Phase 3: verified inbound ingest, the same closed loop as phase 2 but every request is a
/// fresh Stripe event, signed at send time, posted to a Stripe source's ingest URL; the
/// source's one endpoint is the receiver, so forwarding runs meanwhile.
pub async fn inbound(s: &Settings, rx: &Receiver) -> anyhow::Result<Ingest> {
    let mut sluice = Sluice::start(s, "inbound", &Store::Sqlite).await?;
    let secret = stripe::new_secret();
    let target = sluice.stripe_source(&secret, rx.addr).await?;
    let signer = Arc::new(stripe::Signer::new(&secret));
    preflight(&target, &signer).await?;
    rx_reset(rx, 0).await?;
    let meter = sluice.meter(rx.pid);
    let body = Body::Stripe(signer);
    let out = load::closed_loop(&target, body, s.connections, s.warmup(), s.duration()).await;
    let cpu = sluice.usage(&meter).await;
    sluice.alive()?;
    let delivered_meanwhile = rx_stats(rx).await?.count;
    Ok(Ingest {
        load: Throughput::of(out, s.duration(), cpu),
        delivered_meanwhile,
    })
}

/// Before measuring: a genuine event must be acknowledged, and the same event with a wrong
/// signature refused with a 4xx (otherwise the phase would not measure *verified* ingest).
async fn preflight(target: &Target, signer: &stripe::Signer) -> anyhow::Result<()> {
    let (body, sig) = signer.next();
    let forged = stripe::Signer::new(&stripe::new_secret()).sign(u64::MAX, now_secs());
    let (st, answer) =
        load::once(target, body.clone(), Some((stripe::SIGNATURE, forged.1))).await?;
    anyhow::ensure!(
        st.is_client_error(),
        "a Stripe event with a forged signature was answered {st} (expected 401): {}",
        String::from_utf8_lossy(&answer)
    );
    if st != StatusCode::UNAUTHORIZED {
        eprintln!("[bench] note: a forged Stripe signature was answered {st}, not 401");
    }
    let (st, answer) = load::once(target, body, Some((stripe::SIGNATURE, sig))).await?;
    target.expect.check(st, &answer).map_err(|why| {
        anyhow::anyhow!(
            "a genuine Stripe event was not accepted: {why}: {}",
            String::from_utf8_lossy(&answer)
        )
    })
}

fn now_secs() -> u64 {
    now_ns() / 1_000_000_000
}

/// Phase 4: publish N as fast as possible; time until the receiver has counted them all.
pub async fn end_to_end(s: &Settings, rx: &Receiver, store: &Store) -> anyhow::Result<EndToEnd> {
    let mut sluice = Sluice::start(s, "e2e", store).await?;
    let target = sluice.app_with_endpoint(rx.addr).await?;
    rx_reset(rx, s.messages).await?;
    let deadline = Duration::from_secs(s.e2e_timeout_secs);
    let meter = sluice.meter(rx.pid);
    let (t0, started) = (now_ns(), Instant::now());
    let out = load::count_bounded(&target, body(), s.connections, s.messages, deadline).await;
    let publish_secs = started.elapsed().as_secs_f64();
    sluice.alive()?;
    if out.ok < s.messages {
        call_ok(rx.addr, Method::POST, &format!("/target?target={}", out.ok)).await?;
    }
    let until = started + deadline;
    let stats = loop {
        let st = rx_stats(rx).await?;
        if st.target_reached_ns != 0 || Instant::now() >= until {
            break st;
        }
        sluice.alive()?;
        sleep(Duration::from_millis(20)).await;
    };
    let cpu = sluice.usage(&meter).await;
    let reached = stats.target_reached_ns;
    Ok(EndToEnd {
        published: out.ok,
        errors: out.errors,
        first_error: out.first_error,
        publish_secs,
        delivered: stats.count,
        total_secs: (reached != 0).then(|| reached.saturating_sub(t0) as f64 / 1e9),
        wall_secs: started.elapsed().as_secs_f64(),
        cpu,
    })
}

/// Phase 5: a steady open-loop rate; the receiver measures receive time − send time.
pub async fn latency(s: &Settings, rx: &Receiver) -> anyhow::Result<Latency> {
    let mut sluice = Sluice::start(s, "latency", &Store::Sqlite).await?;
    let target = sluice.app_with_endpoint(rx.addr).await?;
    rx_reset(rx, 0).await?;
    let (warmup, measure) = (s.latency_warmup(), s.latency_duration());
    let meter = sluice.meter(rx.pid);
    let mut out = load::open_loop(&target, s.rate, s.latency_connections, warmup, measure).await;
    let cpu = sluice.usage(&meter).await;
    sluice.alive()?;
    let until = Instant::now() + Duration::from_secs(30);
    let stats = loop {
        let st = rx_stats(rx).await?;
        if st.measured >= out.ok || Instant::now() >= until {
            break st;
        }
        sleep(Duration::from_millis(50)).await;
    };
    Ok(Latency {
        accepted: out.ok,
        errors: out.errors,
        first_error: out.first_error.take(),
        late_sends: out.late,
        ack: Summary::of_ns(&mut out.lat_ns),
        delivered: stats.measured,
        delivery: stats.latency,
        cpu,
    })
}

fn body() -> Body {
    Body::Fixed(payload::message(0, false, 0))
}

async fn rx_reset(rx: &Receiver, target: u64) -> anyhow::Result<()> {
    call_ok(rx.addr, Method::POST, &format!("/reset?target={target}"))
        .await
        .map(drop)
}

async fn rx_stats(rx: &Receiver) -> anyhow::Result<receiver::Stats> {
    let bytes = call_ok(rx.addr, Method::GET, "/stats").await?;
    Ok(serde_json::from_slice(&bytes)?)
}

async fn call_ok(addr: SocketAddr, method: Method, path: &str) -> anyhow::Result<bytes::Bytes> {
    let (st, bytes) = load::call(addr, method, path, None, None).await?;
    anyhow::ensure!(st.is_success(), "receiver {path}: {st}");
    Ok(bytes)
}
