//! The load generator: one tokio task per keep-alive HTTP/1.1 connection
//! (`hyper::client::conn::http1`), pre-built bodies, no pooling layer in between. The same
//! code drives the bare ceiling server and Sluice, so their figures compare fairly.
//!
//! Each request's body is a [`Body`]: the same pre-built bytes every time, or a fresh
//! Stripe event signed at send time (the inbound phase).
//!
//! Three shapes, each bounded in time (and, for [`count_bounded`], in count):
//! [`closed_loop`] (each connection sends its next request when the previous one is
//! answered), [`count_bounded`] (N requests as fast as possible) and [`open_loop`] (requests on
//! a fixed schedule, whatever the answers do).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::{sleep, sleep_until, timeout, Instant};

pub use crate::expect::Expect;
use crate::payload;
use crate::stats::MAX_SAMPLES;
use crate::stripe;

/// Longest wait for one answer before the request counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where requests go and what a success looks like.
#[derive(Debug, Clone)]
pub struct Target {
    /// The listeners to send to: connection k uses `addrs[k % len]` (several nodes of one
    /// cluster share the load this way). Never empty.
    pub addrs: Vec<SocketAddr>,
    pub path: String,
    pub auth: Option<HeaderValue>,
    /// Further headers sent with every request.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub expect: Expect,
}

impl Target {
    /// One listener.
    pub fn at(addr: SocketAddr, path: String, auth: Option<HeaderValue>, expect: Expect) -> Self {
        Self {
            addrs: vec![addr],
            path,
            auth,
            headers: Vec::new(),
            expect,
        }
    }

    /// The listener connection `k` uses.
    pub fn addr(&self, k: usize) -> SocketAddr {
        self.addrs[k % self.addrs.len()]
    }

    /// The request carrying `body`, plus `extra` (a per-request header such as a signature).
    pub fn request(
        &self,
        body: Bytes,
        extra: Option<(HeaderName, HeaderValue)>,
    ) -> anyhow::Result<Request<Full<Bytes>>> {
        let mut b = Request::post(&self.path)
            .header(HOST, self.addrs[0].to_string())
            .header(CONTENT_TYPE, "application/json");
        if let Some(auth) = &self.auth {
            b = b.header(AUTHORIZATION, auth.clone());
        }
        for (k, v) in self.headers.iter().cloned().chain(extra) {
            b = b.header(k, v);
        }
        Ok(b.body(Full::new(body))?)
    }
}

/// What each request carries.
#[derive(Clone)]
pub enum Body {
    /// The same pre-built bytes every time.
    Fixed(Bytes),
    /// A fresh Stripe event (an id never sent before), signed when it is sent.
    Stripe(Arc<stripe::Signer>),
}

impl Body {
    /// The next body, with its per-request header if it has one.
    pub fn next(&self) -> (Bytes, Option<(HeaderName, HeaderValue)>) {
        match self {
            Body::Fixed(b) => (b.clone(), None),
            Body::Stripe(s) => {
                let (body, sig) = s.next();
                (body, Some((stripe::SIGNATURE, sig)))
            }
        }
    }
}

/// What one run of the generator counted. Latencies are request → full answer, in ns.
#[derive(Debug, Default)]
pub struct Outcome {
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub late: u64,
    pub lat_ns: Vec<u64>,
}

impl Outcome {
    fn merge(&mut self, other: Outcome) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.late += other.late;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        let room = MAX_SAMPLES.saturating_sub(self.lat_ns.len());
        self.lat_ns.extend(other.lat_ns.into_iter().take(room));
    }

    /// Records the result of one exchange.
    fn record(&mut self, result: Result<u64, String>) {
        match result {
            Ok(ns) => {
                self.ok += 1;
                if self.lat_ns.len() < MAX_SAMPLES {
                    self.lat_ns.push(ns);
                }
            }
            Err(why) => {
                self.errors += 1;
                self.first_error.get_or_insert(why);
            }
        }
    }
}

/// One keep-alive connection, reconnected after an error.
struct Conn {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    fn new(addr: SocketAddr) -> Self {
        Self { addr, sender: None }
    }

    /// Sends one request and reads the whole answer; returns its status and body.
    async fn send(&mut self, req: Request<Full<Bytes>>) -> anyhow::Result<(StatusCode, Bytes)> {
        let result = timeout(REQUEST_TIMEOUT, self.try_send(req)).await;
        let result = result.unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within 30 s")));
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn try_send(&mut self, req: Request<Full<Bytes>>) -> anyhow::Result<(StatusCode, Bytes)> {
        if self.sender.is_none() {
            self.sender = Some(connect(self.addr).await?);
        }
        let sender = self.sender.as_mut().expect("connected above");
        sender.ready().await?;
        let resp = sender.send_request(req).await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Sends one request on `conn`: its latency in ns if answered as expected. The body is
/// built (and signed) before the clock starts. After a connection error it waits a little,
/// so a dead server is not spun on.
async fn exchange(conn: &mut Conn, target: &Target, body: &Body) -> Result<u64, String> {
    let (bytes, extra) = body.next();
    let req = target.request(bytes, extra).map_err(|e| e.to_string())?;
    let started = Instant::now();
    match conn.send(req).await {
        Ok((status, answer)) => target
            .expect
            .check(status, &answer)
            .map(|()| started.elapsed().as_nanos() as u64),
        Err(e) => {
            sleep(Duration::from_millis(20)).await;
            Err(format!("{e:#}"))
        }
    }
}

/// `conns` connections send `body` back to back for `warmup + measure`; only answers that
/// arrive within the measured window are counted.
pub async fn closed_loop(
    target: &Target,
    body: Body,
    conns: usize,
    warmup: Duration,
    measure: Duration,
) -> Outcome {
    let start = Instant::now();
    let (from, until) = (start + warmup, start + warmup + measure);
    let tasks: Vec<_> = (0..conns)
        .map(|k| {
            let (target, body) = (target.clone(), body.clone());
            tokio::spawn(async move {
                let mut conn = Conn::new(target.addr(k));
                let mut out = Outcome::default();
                while Instant::now() < until {
                    let result = exchange(&mut conn, &target, &body).await;
                    let done = Instant::now();
                    if done >= from && done <= until {
                        out.record(result);
                    }
                }
                out
            })
        })
        .collect();
    join(tasks).await
}

/// Sends exactly `n` requests (as fast as `conns` connections allow) and stops, or stops at
/// `deadline` with fewer. A request that fails is not retried.
pub async fn count_bounded(
    target: &Target,
    body: Body,
    conns: usize,
    n: u64,
    deadline: Duration,
) -> Outcome {
    let until = Instant::now() + deadline;
    let issued = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..conns)
        .map(|k| {
            let (target, body, issued) = (target.clone(), body.clone(), issued.clone());
            tokio::spawn(async move {
                let mut conn = Conn::new(target.addr(k));
                let mut out = Outcome::default();
                while Instant::now() < until && issued.fetch_add(1, Ordering::Relaxed) < n {
                    out.record(exchange(&mut conn, &target, &body).await);
                }
                out
            })
        })
        .collect();
    join(tasks).await
}

/// Sends `rate` requests per second on a fixed schedule for `warmup + measure`, spread over
/// `conns` connections (connection k sends at offsets k/rate + i·conns/rate). Each body
/// carries its actual send time; bodies sent in the measured window are marked `measure`.
/// A send more than 2 ms behind its schedule counts as `late` (a sign the client or the
/// server could not keep up). Only measured sends are counted in the outcome.
pub async fn open_loop(
    target: &Target,
    rate: u64,
    conns: usize,
    warmup: Duration,
    measure: Duration,
) -> Outcome {
    let start = Instant::now() + Duration::from_millis(50);
    let (from, until) = (start + warmup, start + warmup + measure);
    let gap = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let period = gap * conns as u32;
    let seq = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..conns)
        .map(|k| {
            let (target, seq) = (target.clone(), seq.clone());
            tokio::spawn(async move {
                let mut conn = Conn::new(target.addr(k));
                let mut out = Outcome::default();
                let mut at = start + gap * k as u32;
                while at < until {
                    sleep_until(at).await;
                    let measured = at >= from;
                    let late =
                        Instant::now().saturating_duration_since(at) > Duration::from_millis(2);
                    let n = seq.fetch_add(1, Ordering::Relaxed);
                    let body = Body::Fixed(payload::message(payload::now_ns(), measured, n));
                    let result = exchange(&mut conn, &target, &body).await;
                    if measured {
                        out.late += u64::from(late);
                        out.record(result);
                    }
                    at += period;
                }
                out
            })
        })
        .collect();
    join(tasks).await
}

async fn join(tasks: Vec<tokio::task::JoinHandle<Outcome>>) -> Outcome {
    let mut total = Outcome::default();
    for t in tasks {
        match t.await {
            Ok(o) => total.merge(o),
            Err(e) => total.record(Err(format!("load task failed: {e}"))),
        }
    }
    total
}

/// One request to `target` on a fresh connection (not measured): status and answer body.
pub async fn once(
    target: &Target,
    body: Bytes,
    extra: Option<(HeaderName, HeaderValue)>,
) -> anyhow::Result<(StatusCode, Bytes)> {
    let req = target.request(body, extra)?;
    let mut conn = Conn::new(target.addr(0));
    conn.send(req).await
}

/// One request on a fresh connection, for setup and control (not measured).
pub async fn call(
    addr: SocketAddr,
    method: Method,
    path: &str,
    auth: Option<&HeaderValue>,
    body: Option<serde_json::Value>,
) -> anyhow::Result<(StatusCode, Bytes)> {
    let mut sender = connect(addr).await?;
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, addr.to_string());
    if let Some(auth) = auth {
        b = b.header(AUTHORIZATION, auth.clone());
    }
    let body = match body {
        Some(v) => {
            b = b.header(CONTENT_TYPE, "application/json");
            Bytes::from(serde_json::to_vec(&v)?)
        }
        None => Bytes::new(),
    };
    let fut = async {
        let resp = sender.send_request(b.body(Full::new(body))?).await?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        anyhow::Ok((status, bytes))
    };
    timeout(Duration::from_secs(10), fut)
        .await
        .with_context(|| format!("no answer from {addr}{path} within 10 s"))?
}
