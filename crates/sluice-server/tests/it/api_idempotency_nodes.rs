//! Idempotency keys across nodes: two routers, each with its own `Idempotency` middleware
//! (two "nodes"), over one store. The claim lives in the store, so a key held on one node
//! is not run on the other; a claim left by a node that died runs out and is taken over.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use sluice_server::api::idempotency::{self, cache_key, Idempotency, Timing};
use sluice_server::state::AppState;
use sluice_store::{IdempotencyBegin, MessageFilter, Order, Page};
use tokio::sync::{mpsc, Mutex, Semaphore};

use crate::helpers::{spawn_app, TestApp};

/// Long enough that only a real hang trips it.
const PATIENCE: Duration = Duration::from_secs(10);

/// Serves `router` on its own port of 127.0.0.1: another node.
async fn node(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// A handler that counts its runs, says when it has started, and returns only when let go.
struct Gate {
    runs: AtomicUsize,
    entered_tx: mpsc::UnboundedSender<()>,
    entered: Mutex<mpsc::UnboundedReceiver<()>>,
    release: Semaphore,
}

impl Gate {
    fn new() -> Arc<Self> {
        let (entered_tx, entered) = mpsc::unbounded_channel();
        Arc::new(Self {
            runs: AtomicUsize::new(0),
            entered_tx,
            entered: Mutex::new(entered),
            release: Semaphore::new(0),
        })
    }

    fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }
}

/// A node whose `POST /api/v1/app` (a real route of the access table) is the gated
/// handler, behind the real idempotency middleware with `timing`.
fn gated_node(state: &AppState, gate: &Arc<Gate>, timing: Timing) -> Router {
    let gate = gate.clone();
    let handler = move || async move {
        let n = gate.runs.fetch_add(1, Ordering::SeqCst) + 1;
        let _ = gate.entered_tx.send(());
        gate.release.acquire().await.unwrap().forget();
        (axum::http::StatusCode::CREATED, Json(json!({"run": n})))
    };
    Router::new()
        .route("/api/v1/app", post(handler))
        .layer(axum::middleware::from_fn_with_state(
            Idempotency::with_timing(state.clone(), timing),
            idempotency::middleware,
        ))
}

async fn post_keyed(
    app: &TestApp,
    base: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> (u16, Value) {
    let send = app
        .client
        .post(format!("{base}{path}"))
        .bearer_auth(&app.token)
        .header("idempotency-key", key)
        .json(body)
        .send();
    let resp = tokio::time::timeout(PATIENCE, send)
        .await
        .expect("the node answers")
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

fn short_wait() -> Timing {
    Timing {
        wait: Duration::from_millis(300),
        ..Timing::default()
    }
}

#[tokio::test]
async fn a_key_running_on_one_node_is_not_run_on_another() {
    let app = spawn_app().await;
    let gate = Gate::new();
    let a = node(gated_node(&app.state, &gate, Timing::default())).await;
    let b = node(gated_node(&app.state, &gate, short_wait())).await;
    let body = json!({"name": "x"});

    let first = {
        let (client, token, a, body) = (
            app.client.clone(),
            app.token.clone(),
            a.clone(),
            body.clone(),
        );
        tokio::spawn(async move {
            let resp = client
                .post(format!("{a}/api/v1/app"))
                .bearer_auth(token)
                .header("idempotency-key", "k")
                .json(&body)
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        })
    };
    tokio::time::timeout(PATIENCE, gate.entered.lock().await.recv())
        .await
        .expect("node A runs the request");

    // Node B waits for A's claim, which outlives its wait: 409, and it did not run.
    let (status, err) = post_keyed(&app, &b, "/api/v1/app", "k", &body).await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["code"], "conflict");
    assert!(
        err["detail"].as_str().unwrap().contains("in progress"),
        "{err}"
    );
    assert_eq!(gate.runs(), 1, "node B ran a request node A was running");

    gate.release.add_permits(1);
    let (status, text) = tokio::time::timeout(PATIENCE, first)
        .await
        .expect("node A finishes")
        .unwrap();
    assert_eq!(status, 201, "{text}");
    let first: Value = serde_json::from_str(&text).unwrap();
    // Now B replays what A answered, from the store.
    let (status, again) = post_keyed(&app, &b, "/api/v1/app", "k", &body).await;
    assert_eq!((status, &again), (201, &first));
    assert_eq!(gate.runs(), 1);
}

#[tokio::test]
async fn a_dead_nodes_claim_blocks_the_key_until_its_lease_runs_out() {
    let app = spawn_app().await;
    let gate = Gate::new();
    gate.release.add_permits(100);
    let auth = format!("Bearer {}", app.token);
    let body = json!({"name": "x"});
    // Claims left by a node that died mid-request: nothing will finish or free them.
    let dead_claim = |client_key: &str, lease_ms: i64| {
        let key = cache_key(auth.as_bytes(), client_key.as_bytes(), "/api/v1/app");
        let store = app.state.store.clone();
        async move {
            let now = sluice_core::now_millis();
            let begun = store.idempotency_begin(&key, now, lease_ms).await.unwrap();
            assert!(matches!(begun, IdempotencyBegin::Run { .. }), "{begun:?}");
        }
    };

    // While the lease lasts, another node waits and then refuses.
    dead_claim("held", 3_600_000).await;
    let impatient = node(gated_node(&app.state, &gate, short_wait())).await;
    let (status, err) = post_keyed(&app, &impatient, "/api/v1/app", "held", &body).await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(gate.runs(), 0);

    // Once the lease runs out, a waiting node takes the key over and runs the request.
    dead_claim("expiring", 200).await;
    let patient = node(gated_node(&app.state, &gate, Timing::default())).await;
    let (status, got) = post_keyed(&app, &patient, "/api/v1/app", "expiring", &body).await;
    assert_eq!(status, 201, "{got}");
    assert_eq!(gate.runs(), 1);
}

/// The real API on two nodes: concurrent duplicates of one publish, half to each node,
/// give one message and one response.
#[tokio::test]
async fn concurrent_duplicates_on_two_nodes_publish_once() {
    let app = spawn_app().await;
    let second = node(sluice_server::api::router(app.state.clone())).await;
    let app_id = app.create_app_id("A").await;
    let path = format!("/api/v1/app/{app_id}/msg");
    let msg = json!({"eventType": "a.b", "payload": {"n": 1}});
    let sends = (0..16).map(|i| {
        let base = if i % 2 == 0 { &app.base_url } else { &second };
        post_keyed(&app, base, &path, "same", &msg)
    });
    let results = futures::future::join_all(sends).await;
    assert!(results.iter().all(|(s, _)| *s == 202), "{results:?}");
    assert!(
        results.iter().all(|(_, b)| *b == results[0].1),
        "every duplicate gets the first response: {results:?}"
    );
    let page = Page {
        limit: 250,
        order: Order::Descending,
        ..Page::default()
    };
    let listed = app
        .state
        .store
        .list_messages(&app_id, MessageFilter::default(), page)
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1, "one message for one key");
}
