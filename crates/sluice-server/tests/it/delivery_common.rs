//! Helpers shared by the dispatcher tests (`delivery_*`): setup through the API, state read
//! back from the store, stepping a dispatcher from one due time to the next, and receivers the lead's `Receiver` does not cover (gated replies,
//! endless bodies).

#![allow(dead_code)] // each delivery test module uses a different part

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use sluice_core::clock::Clock;
use sluice_core::model::{Attempt, Delivery, DeliveryStatus, Endpoint};
use sluice_core::Millis;
use sluice_server::dispatch::{Dispatcher, StepReport};
use sluice_store::{AttemptFilter, Page};
use tokio::sync::{mpsc, Semaphore};

use crate::helpers::{eventually, Received, Receiver, TestApp};

/// Generous deadline for conditions that a working dispatcher meets in milliseconds.
pub const WAIT: Duration = Duration::from_secs(20);

/// Ids of an application with one endpoint.
pub struct Setup {
    /// `app_…`
    pub app_id: String,
    /// `ep_…`
    pub ep_id: String,
}

/// Creates an application and an endpoint (`extra` merged into the endpoint body).
pub async fn app_with_endpoint(app: &TestApp, url: &str, extra: Value) -> Setup {
    let created = app.create_app("delivery test").await;
    let app_id = created["id"].as_str().expect("app id").to_owned();
    let ep_id = add_endpoint(app, &app_id, url, extra).await;
    Setup { app_id, ep_id }
}

/// Adds an endpoint to an application; returns its id.
pub async fn add_endpoint(app: &TestApp, app_id: &str, url: &str, extra: Value) -> String {
    let mut body = json!({ "url": url });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let ep = app
        .post_ok(&format!("/api/v1/app/{app_id}/endpoint"), &body, 201)
        .await;
    ep["id"].as_str().expect("endpoint id").to_owned()
}

/// Publishes a message with this exact JSON text as payload; returns the message id.
pub async fn publish_raw(app: &TestApp, app_id: &str, payload_json: &str) -> String {
    let body = format!(r#"{{"eventType":"invoice.paid","payload":{payload_json}}}"#);
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/app/{app_id}/msg")))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request reaches the server");
    let msg = crate::helpers::expect_json(resp, 202).await;
    msg["id"].as_str().expect("message id").to_owned()
}

/// Publishes `{"n": n}`; returns the message id.
pub async fn publish(app: &TestApp, app_id: &str, n: usize) -> String {
    let msg = app.send(app_id, "invoice.paid", json!({ "n": n })).await;
    msg["id"].as_str().expect("message id").to_owned()
}

/// Every attempt of a message, oldest first.
pub async fn attempts(app: &TestApp, app_id: &str, msg_id: &str) -> Vec<Attempt> {
    let filter = AttemptFilter {
        app_id: app_id.to_owned(),
        msg_id: Some(msg_id.to_owned()),
        ..Default::default()
    };
    let mut list = app
        .state
        .store
        .list_attempts(
            filter,
            Page {
                limit: 250,
                ..Default::default()
            },
        )
        .await
        .expect("list attempts")
        .items;
    list.sort_by(|a, b| a.id.cmp(&b.id));
    list
}

/// The delivery of a message to an endpoint.
pub async fn delivery(app: &TestApp, msg_id: &str, ep_id: &str) -> Delivery {
    let page = Page {
        limit: 250,
        ..Default::default()
    };
    let listed = app
        .state
        .store
        .list_message_deliveries(msg_id, page)
        .await
        .expect("list deliveries");
    listed
        .items
        .into_iter()
        .find(|(ep, _)| ep.id == ep_id)
        .map(|(_, d)| d)
        .unwrap_or_else(|| panic!("no delivery of {msg_id} to {ep_id}"))
}

/// Waits until the delivery reaches `status`; returns it.
pub async fn wait_status(
    app: &TestApp,
    msg_id: &str,
    ep_id: &str,
    status: DeliveryStatus,
) -> Delivery {
    eventually(
        WAIT,
        &format!("delivery of {msg_id} is {status:?}"),
        || async {
            let d = delivery(app, msg_id, ep_id).await;
            (d.status == status).then_some(d)
        },
    )
    .await
}

/// Waits until a message has at least `n` attempts; returns them, oldest first.
pub async fn wait_attempts(app: &TestApp, app_id: &str, msg_id: &str, n: usize) -> Vec<Attempt> {
    eventually(WAIT, &format!("{n} attempts of {msg_id}"), || async {
        let list = attempts(app, app_id, msg_id).await;
        (list.len() >= n).then_some(list)
    })
    .await
}

/// Steps `dispatcher` (and the server's manual clock with it) to the delivery's next due
/// time: a step one millisecond before it claims nothing and sends nothing to `rx`, the
/// step at it claims this one delivery and sends it exactly once. Returns the due time and
/// that step's report.
pub async fn step_to_due(
    app: &TestApp,
    dispatcher: &Dispatcher,
    msg_id: &str,
    ep_id: &str,
    rx: &Receiver,
) -> (Millis, StepReport) {
    let d = delivery(app, msg_id, ep_id).await;
    let due = d
        .next_attempt_at
        .expect("the delivery is waiting for a try");
    app.clock().set(due);
    let report = step_now_exactly(app, dispatcher, rx).await;
    (due, report)
}

/// Steps `dispatcher` at the server clock's `now`, after a step one millisecond earlier: the
/// earlier one claims and sends nothing, the one at `now` claims exactly one delivery
/// (something the API queued at `now`, or a retry due then). Returns its report.
pub async fn step_now_exactly(app: &TestApp, dispatcher: &Dispatcher, rx: &Receiver) -> StepReport {
    let now = app.clock().now();
    let sent = rx.count();
    let early = dispatcher.step(now - 1).await.expect("step");
    assert_eq!(early.claimed, 0, "claimed before its due time {now}");
    assert_eq!(rx.count(), sent, "sent before its due time {now}");
    let report = dispatcher.step(now).await.expect("step");
    assert_eq!(report.claimed, 1, "not claimed at its due time {now}");
    report
}

/// Steps through every try of the delivery's round (see [`step_to_due`]) until it is no
/// longer pending; returns the due time of each try.
pub async fn step_to_end(
    app: &TestApp,
    dispatcher: &Dispatcher,
    msg_id: &str,
    ep_id: &str,
    rx: &Receiver,
) -> Vec<Millis> {
    let mut times = Vec::new();
    while delivery(app, msg_id, ep_id).await.status == DeliveryStatus::Pending {
        assert!(times.len() < 20, "more tries than any schedule has");
        times.push(step_to_due(app, dispatcher, msg_id, ep_id, rx).await.0);
    }
    times
}

/// The endpoint row.
pub async fn endpoint(app: &TestApp, app_id: &str, ep_id: &str) -> Endpoint {
    app.state
        .store
        .get_endpoint(app_id, ep_id)
        .await
        .expect("get endpoint")
        .expect("endpoint exists")
}

/// Verifies a received request with the reference `standardwebhooks` crate.
pub fn verifies(secret: &str, got: &Received) -> bool {
    let wh = standardwebhooks::Webhook::new(secret).expect("valid secret");
    wh.verify(&got.body, &got.headers).is_ok()
}

/// A receiver whose replies wait for the test: each request is reported at once, and
/// answered 200 only when the test calls [`Gated::open`].
pub struct Gated {
    /// `http://127.0.0.1:PORT/hook`.
    pub url: String,
    gate: Arc<Semaphore>,
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Received>>,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    arrived: AtomicUsize,
    open: AtomicUsize,
    max_open: AtomicUsize,
}

impl Gated {
    /// Starts the receiver.
    pub async fn start() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let gate = Arc::new(Semaphore::new(0));
        let counts = Arc::new(Counts::default());
        let (g, c) = (gate.clone(), counts.clone());
        let handler = move |headers: HeaderMap, body: Bytes| {
            c.arrived.fetch_add(1, Ordering::SeqCst);
            let open = c.open.fetch_add(1, Ordering::SeqCst) + 1;
            c.max_open.fetch_max(open, Ordering::SeqCst);
            let at = sluice_core::now_millis();
            let _ = tx.send(Received { headers, body, at });
            let (g, c) = (g.clone(), c.clone());
            async move {
                g.acquire().await.expect("gate open").forget();
                c.open.fetch_sub(1, Ordering::SeqCst);
                StatusCode::OK
            }
        };
        let url = serve(axum::Router::new().route("/hook", axum::routing::post(handler))).await;
        Self {
            url,
            gate,
            rx: tokio::sync::Mutex::new(rx),
            counts,
        }
    }

    /// Requests that arrived so far.
    pub fn arrived(&self) -> usize {
        self.counts.arrived.load(Ordering::SeqCst)
    }

    /// Most requests that were open (arrived, not yet answered) at once.
    pub fn max_open(&self) -> usize {
        self.counts.max_open.load(Ordering::SeqCst)
    }

    /// The next request that arrived (its reply still held back).
    pub async fn next(&self) -> Received {
        tokio::time::timeout(WAIT, self.rx.lock().await.recv())
            .await
            .expect("gated receiver got no request in time")
            .expect("channel open")
    }

    /// Lets `n` held requests (or future ones) be answered.
    pub fn open(&self, n: usize) {
        self.gate.add_permits(n);
    }
}

/// A receiver answering 200 with a body that never ends (1 KiB chunks forever); counts
/// requests.
pub async fn endless_body() -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let handler = move || {
        c.fetch_add(1, Ordering::SeqCst);
        async move {
            let chunk = Bytes::from(vec![b'x'; 1024]);
            let stream = futures::stream::repeat_with(move || Ok::<_, Infallible>(chunk.clone()));
            Body::from_stream(stream)
        }
    };
    let url = serve(axum::Router::new().route("/hook", axum::routing::post(handler))).await;
    (url, count)
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}
