//! The five measurements. Each Sluice phase starts `sluice serve` on a fresh temporary data
//! dir (default durability: fsync on every commit) with one app (or, for the inbound phase,
//! one Stripe source) whose one endpoint points at the receiver, and stops it (and removes
//! the dir) at the end of the phase.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use http::header::USER_AGENT;
use http::{HeaderValue, Method, StatusCode};
use tokio::time::{sleep, Instant};

use crate::child::{self, Guard};
use crate::cpu::{Meter, Usage};
use crate::load::{self, Body, Expect, Outcome, Target};
use crate::payload::{self, now_ns};
use crate::receiver;
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
    let target = Target {
        addr,
        path: "/api/v1/app/app_bench/msg".into(),
        auth: None,
        headers: Vec::new(),
        expect: Expect::Status(StatusCode::ACCEPTED),
    };
    let meter = Meter::start(server.pid(), None);
    let out = load::closed_loop(&target, body(), s.connections, s.warmup(), s.duration()).await;
    Ok(Throughput::of(out, s.duration(), meter.stop()))
}

/// Phase 2: Sluice ingest, closed loop, with the dispatcher delivering meanwhile.
pub async fn ingest(s: &Settings, rx: &Receiver) -> anyhow::Result<Ingest> {
    let mut sluice = Sluice::start(s, "ingest").await?;
    let target = sluice.app_with_endpoint(rx.addr).await?;
    rx_reset(rx, 0).await?;
    let meter = Meter::start(sluice.guard.pid(), Some(rx.pid));
    let out = load::closed_loop(&target, body(), s.connections, s.warmup(), s.duration()).await;
    let cpu = meter.stop();
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
    let mut sluice = Sluice::start(s, "inbound").await?;
    let secret = stripe::new_secret();
    let target = sluice.stripe_source(&secret, rx.addr).await?;
    let signer = Arc::new(stripe::Signer::new(&secret));
    preflight(&target, &signer).await?;
    rx_reset(rx, 0).await?;
    let meter = Meter::start(sluice.guard.pid(), Some(rx.pid));
    let body = Body::Stripe(signer);
    let out = load::closed_loop(&target, body, s.connections, s.warmup(), s.duration()).await;
    let cpu = meter.stop();
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
pub async fn end_to_end(s: &Settings, rx: &Receiver) -> anyhow::Result<EndToEnd> {
    let mut sluice = Sluice::start(s, "e2e").await?;
    let target = sluice.app_with_endpoint(rx.addr).await?;
    rx_reset(rx, s.messages).await?;
    let deadline = Duration::from_secs(s.e2e_timeout_secs);
    let meter = Meter::start(sluice.guard.pid(), Some(rx.pid));
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
    let cpu = meter.stop();
    let reached = stats.target_reached_ns;
    Ok(EndToEnd {
        published: out.ok,
        errors: out.errors,
        first_error: out.first_error,
        publish_secs,
        delivered: stats.count,
        total_secs: (reached != 0).then(|| reached.saturating_sub(t0) as f64 / 1e9),
        cpu,
    })
}

/// Phase 5: a steady open-loop rate; the receiver measures receive time − send time.
pub async fn latency(s: &Settings, rx: &Receiver) -> anyhow::Result<Latency> {
    let mut sluice = Sluice::start(s, "latency").await?;
    let target = sluice.app_with_endpoint(rx.addr).await?;
    rx_reset(rx, 0).await?;
    let (warmup, measure) = (s.latency_warmup(), s.latency_duration());
    let meter = Meter::start(sluice.guard.pid(), Some(rx.pid));
    let mut out = load::open_loop(&target, s.rate, s.latency_connections, warmup, measure).await;
    let cpu = meter.stop();
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

/// One `sluice serve` on a fresh data dir. Dropping it kills the server, then removes the dir.
struct Sluice {
    guard: Guard,
    addr: SocketAddr,
    auth: HeaderValue,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Sluice {
    async fn start(s: &Settings, label: &str) -> anyhow::Result<Self> {
        let bin = s.sluice_bin();
        let dir = tempfile::Builder::new().prefix("sluice-bench-").tempdir()?;
        let env = s.sluice_env();
        let token = child::sluice_token(&bin, dir.path(), &env)?;
        let auth = HeaderValue::from_str(&format!("Bearer {token}"))?;
        let addr = child::free_port()?;
        let logs = child::log_dir();
        std::fs::create_dir_all(&logs)?;
        let log = logs.join(format!("{label}-sluice.log"));
        let guard = child::spawn_sluice(&bin, dir.path(), addr, &env, &log)?;
        let mut me = Self {
            guard,
            addr,
            auth,
            log,
            _dir: dir,
        };
        me.wait_healthy().await?;
        Ok(me)
    }

    async fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            self.alive()?;
            if let Ok((st, _)) =
                load::call(self.addr, Method::GET, "/api/v1/health", None, None).await
            {
                if st.is_success() {
                    return Ok(());
                }
            }
            anyhow::ensure!(
                Instant::now() < until,
                "sluice not healthy after 30 s ({})",
                self.log.display()
            );
            sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fails with the end of the log if the server has exited.
    fn alive(&mut self) -> anyhow::Result<()> {
        match self.guard.exited() {
            None => Ok(()),
            Some(status) => anyhow::bail!(
                "sluice exited ({status}); last lines of {}:\n{}",
                self.log.display(),
                child::tail(&self.log, 30)
            ),
        }
    }

    /// Creates one app with one endpoint delivering to `hook`; returns the publish target.
    async fn app_with_endpoint(&self, hook: SocketAddr) -> anyhow::Result<Target> {
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
        Ok(Target {
            addr: self.addr,
            path: format!("/api/v1/app/{id}/msg"),
            auth: Some(self.auth.clone()),
            headers: Vec::new(),
            expect: Expect::Status(StatusCode::ACCEPTED),
        })
    }

    /// Creates a Stripe source with `secret` and one endpoint delivering to `hook`; returns
    /// the target its ingest URL names (always on this server's address: only the path of
    /// `ingestUrl` is used, whatever public host it shows).
    async fn stripe_source(&self, secret: &str, hook: SocketAddr) -> anyhow::Result<Target> {
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
        Ok(Target {
            addr: self.addr,
            path,
            auth: None,
            headers: vec![(USER_AGENT, HeaderValue::from_static(stripe::USER_AGENT))],
            expect: Expect::NewEvent,
        })
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        let (st, bytes) =
            load::call(self.addr, Method::POST, path, Some(&self.auth), Some(body)).await?;
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
