//! Test harness: a real server on 127.0.0.1:0 with a fresh store, and real HTTP receivers on
//! 127.0.0.1 whose replies a test scripts. Set `TEST_LOG=1` to see logs.
//!
//! The store is a fresh SQLite file, or with `SLUICE_TEST_BACKEND=postgres` a fresh schema
//! of the PostgreSQL test database (`SLUICE_TEST_DATABASE_URL`): `scripts/test` runs this
//! whole suite once on each backend.

#![allow(dead_code)] // each test module uses a different part of the harness

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use reqwest::Method;
use serde_json::{json, Value};
use sluice_core::clock::ManualClock;
use sluice_server::config::Config;
use sluice_server::dispatch::Dispatcher;
use sluice_server::startup::Server;
use sluice_server::state::AppState;
use sluice_store::postgres::test_schema::TestSchema;
use sluice_store::postgres::PgStore;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        tracing_subscriber::fmt()
            .with_env_filter("info,sluice_server=debug")
            .with_test_writer()
            .init();
    }
});

/// Where one test's server keeps its data: a temporary data directory (keys, and the SQLite
/// file) and, on the PostgreSQL run, a schema of its own. Restarting a server over the same
/// `TestData` finds the same database.
pub struct TestData {
    dir: tempfile::TempDir,
    pg: Option<TestSchema>,
}

impl TestData {
    /// Fresh data on the backend this run tests (`SLUICE_TEST_BACKEND`).
    pub async fn create() -> Arc<TestData> {
        match std::env::var("SLUICE_TEST_BACKEND").as_deref() {
            Ok("postgres") => Self::create_postgres().await,
            Ok("sqlite") | Err(_) => Self::create_sqlite(),
            Ok(other) => panic!("SLUICE_TEST_BACKEND={other}: expected sqlite or postgres"),
        }
    }

    /// Fresh data on SQLite whatever the run (tests of SQLite's own behaviour).
    pub fn create_sqlite() -> Arc<TestData> {
        Arc::new(TestData {
            dir: tempfile::tempdir().expect("tempdir"),
            pg: None,
        })
    }

    /// Fresh data on a migrated PostgreSQL schema whatever the run.
    pub async fn create_postgres() -> Arc<TestData> {
        let schema = TestSchema::create()
            .await
            .expect("the PostgreSQL test database answers (run scripts/ensure-postgres)");
        PgStore::migrate(schema.url()).await.expect("migrate");
        Arc::new(TestData {
            dir: tempfile::tempdir().expect("tempdir"),
            pg: Some(schema),
        })
    }

    /// The data directory.
    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The PostgreSQL URL of this test's schema, on the PostgreSQL run.
    pub fn database_url(&self) -> Option<&str> {
        self.pg.as_ref().map(TestSchema::url)
    }

    /// Whether this test runs on SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.pg.is_none()
    }
}

/// A running server for one test.
pub struct TestApp {
    /// Bound address.
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Org token for `sluice_server::auth::DEFAULT_ORG`.
    pub token: String,
    /// HTTP client (no redirects followed, so tests see what the server says).
    pub client: reqwest::Client,
    /// The server's shared state (store, config, keys).
    pub state: AppState,
    /// Holds the data directory (and schema) alive for the test's duration.
    pub data_dir: Arc<TestData>,
    /// The server's clock when the test set one ([`spawn_stepped_app`]): the API reads its
    /// `now` from it, so what the API queues is due in the stepped time.
    pub manual_clock: Option<Arc<ManualClock>>,
    /// Where `/metrics` is served when `metrics_listen` gives it an address of its own.
    pub metrics_addr: Option<SocketAddr>,
    shutdown: CancellationToken,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// The configuration tests start from: loopback delivery allowed, short retries.
pub fn test_config(data: &TestData) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().to_path_buf(),
        database_url: data.database_url().map(str::to_string),
        database_pool_size: 8,
        allowed_networks: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
        retry_schedule: vec![1, 1, 1],
        request_timeout: 5,
        ..Config::default()
    }
}

/// A server with the test configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A server with the test configuration adjusted by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_in(TestData::create().await, adjust).await
}

/// A server on SQLite whatever the run: for tests of SQLite's own behaviour (its files,
/// its locks), which have PostgreSQL counterparts of their own.
pub async fn spawn_sqlite_app() -> TestApp {
    spawn_app_in(TestData::create_sqlite(), |_| {}).await
}

/// A server on an existing data directory (to restart over the same database).
pub async fn spawn_app_in(dir: Arc<TestData>, adjust: impl FnOnce(&mut Config)) -> TestApp {
    start(dir, adjust, None).await
}

/// A server whose deliveries move only when the test steps the returned dispatcher through
/// time ([`Dispatcher::step`]), with Sluice's default retry schedule (5 s, 5 min, …). The
/// server runs on a manual clock ([`TestApp::clock`]) standing at the wall clock's time
/// when it starts: the API and the dispatcher share it.
pub async fn spawn_stepped_app(adjust: impl FnOnce(&mut Config)) -> (TestApp, Dispatcher) {
    let dir = TestData::create().await;
    let clock = Arc::new(ManualClock::at(sluice_core::now_millis()));
    let app = start(
        dir,
        |c| {
            c.retry_schedule = sluice_core::retry::DEFAULT_SCHEDULE_SECS.to_vec();
            adjust(c);
        },
        Some(clock),
    )
    .await;
    let dispatcher = Dispatcher::of_state(&app.state);
    (app, dispatcher)
}

/// Starts a server; with a `manual_clock`, on that clock and without the background
/// dispatcher (the test steps one).
async fn start(
    dir: Arc<TestData>,
    adjust: impl FnOnce(&mut Config),
    manual_clock: Option<Arc<ManualClock>>,
) -> TestApp {
    LazyLock::force(&TRACING);
    let mut config = test_config(&dir);
    adjust(&mut config);
    let mut server = Server::build(config).await.expect("server builds");
    if let Some(clock) = &manual_clock {
        server = server.without_dispatcher().with_clock(clock.clone());
    }
    let addr = server.local_addr();
    let metrics_addr = server.metrics_addr();
    let state = server.state().clone();
    let token =
        sluice_server::auth::issue_org_token(&state.jwt_secret, sluice_server::auth::DEFAULT_ORG);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(server.run(shutdown.clone()));
    TestApp {
        addr,
        base_url: format!("http://{addr}"),
        token,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        data_dir: dir,
        manual_clock,
        metrics_addr,
        shutdown,
        task: Some(task),
    }
}

impl TestApp {
    /// The server's manual clock (servers of [`spawn_stepped_app`] only).
    pub fn clock(&self) -> &ManualClock {
        self.manual_clock
            .as_deref()
            .expect("a server started with a manual clock")
    }

    /// Absolute URL of an API path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// A request with an explicit token (`None` = no Authorization header).
    pub async fn request_as(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request reaches the server")
    }

    /// GET with the org token.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.request_as(Method::GET, path, Some(&self.token), None)
            .await
    }
    /// POST JSON with the org token.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.request_as(Method::POST, path, Some(&self.token), Some(body))
            .await
    }
    /// PUT JSON with the org token.
    pub async fn put(&self, path: &str, body: &Value) -> reqwest::Response {
        self.request_as(Method::PUT, path, Some(&self.token), Some(body))
            .await
    }
    /// PATCH JSON with the org token.
    pub async fn patch(&self, path: &str, body: &Value) -> reqwest::Response {
        self.request_as(Method::PATCH, path, Some(&self.token), Some(body))
            .await
    }
    /// DELETE with the org token.
    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.request_as(Method::DELETE, path, Some(&self.token), None)
            .await
    }

    /// POST that must answer `status`; returns the JSON body.
    pub async fn post_ok(&self, path: &str, body: &Value, status: u16) -> Value {
        let resp = self.post(path, body).await;
        expect_json(resp, status).await
    }

    /// GET that must answer 200; returns the JSON body.
    pub async fn get_ok(&self, path: &str) -> Value {
        expect_json(self.get(path).await, 200).await
    }

    /// Creates an application; returns its JSON.
    pub async fn create_app(&self, name: &str) -> Value {
        self.post_ok("/api/v1/app", &json!({ "name": name }), 201)
            .await
    }

    /// Creates an application named `name`; returns its id.
    pub async fn create_app_id(&self, name: &str) -> String {
        self.create_app(name).await["id"]
            .as_str()
            .expect("an application has an id")
            .to_owned()
    }

    /// Creates an endpoint delivering to `url`; returns its JSON.
    pub async fn create_endpoint(&self, app_id: &str, url: &str) -> Value {
        self.post_ok(
            &format!("/api/v1/app/{app_id}/endpoint"),
            &json!({ "url": url }),
            201,
        )
        .await
    }

    /// The endpoint's current signing secret.
    pub async fn endpoint_secret(&self, app_id: &str, ep_id: &str) -> String {
        let v = self
            .get_ok(&format!("/api/v1/app/{app_id}/endpoint/{ep_id}/secret"))
            .await;
        v["key"].as_str().expect("key").to_string()
    }

    /// Publishes a message; returns its JSON.
    pub async fn send(&self, app_id: &str, event_type: &str, payload: Value) -> Value {
        self.post_ok(
            &format!("/api/v1/app/{app_id}/msg"),
            &json!({ "eventType": event_type, "payload": payload }),
            202,
        )
        .await
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(t) = self.task.take() {
            t.await.expect("server task").expect("server ran cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Asserts the status and parses the JSON body (printing it on mismatch).
pub async fn expect_json(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    assert_eq!(got, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"))
    }
}

/// Polls `check` until it returns `Some`, or panics after `within`. For conditions that
/// are not signalled (state in the database); polling interval is short and bounded.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How a receiver answers one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// This status, empty body.
    Status(u16),
    /// This status with extra response headers.
    WithHeaders(u16, Vec<(&'static str, String)>),
    /// Never answer (until the client gives up).
    Hang,
}

/// One request a receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    /// Request headers.
    pub headers: HeaderMap,
    /// Exact body bytes.
    pub body: Bytes,
    /// When the request arrived (Unix milliseconds, the server's clock).
    pub at: i64,
}

impl Received {
    /// A header as a string (panics if absent).
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("header {name} missing"))
            .to_str()
            .unwrap()
            .to_string()
    }
}

/// A real HTTP receiver on 127.0.0.1 that records every request and answers from a script.
pub struct Receiver {
    /// `http://127.0.0.1:PORT/hook`.
    pub url: String,
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Received>>,
    count: Arc<AtomicUsize>,
}

impl Receiver {
    /// Answers 200 to everything.
    pub async fn ok() -> Self {
        Self::scripted(vec![], Reply::Status(200)).await
    }

    /// Answers with `replies` in order, then `then` forever.
    pub async fn scripted(replies: Vec<Reply>, then: Reply) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let count = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(Mutex::new(VecDeque::from(replies)));
        let counter = count.clone();
        let handler = move |headers: HeaderMap, body: Bytes| {
            let reply = script
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| then.clone());
            counter.fetch_add(1, Ordering::SeqCst);
            let at = sluice_core::now_millis();
            let _ = tx.send(Received { headers, body, at });
            async move {
                match reply {
                    Reply::Status(s) => (StatusCode::from_u16(s).unwrap(), HeaderMap::new()),
                    Reply::WithHeaders(s, hs) => {
                        let mut h = HeaderMap::new();
                        for (k, v) in hs {
                            h.insert(k, v.parse().unwrap());
                        }
                        (StatusCode::from_u16(s).unwrap(), h)
                    }
                    Reply::Hang => std::future::pending().await,
                }
            }
        };
        let app = axum::Router::new().route("/hook", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{addr}/hook"),
            rx: tokio::sync::Mutex::new(rx),
            count,
        }
    }

    /// The next request, or a panic after `within`.
    pub async fn next(&self, within: Duration) -> Received {
        tokio::time::timeout(within, self.rx.lock().await.recv())
            .await
            .expect("receiver got no request in time")
            .expect("receiver channel open")
    }

    /// How many requests arrived so far.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}
