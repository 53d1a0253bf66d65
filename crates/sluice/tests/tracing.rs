//! Tracing and logs on the real binary: request ids on every response and in every JSON
//! log line of the request, no secrets in those lines, and one OpenTelemetry trace from a
//! publish (continuing the caller's `traceparent`) to every delivery attempt, exported
//! over OTLP/HTTP to a collector the test runs on 127.0.0.1.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use common::{post, receiver, token, Node};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use serde_json::{json, Value};

/// Waits for `cond`, failing after a deadline generous enough for a loaded machine.
async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The JSON log lines whose request span has this id.
fn lines_of(log: &[String], request_id: &str) -> Vec<Value> {
    log.iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["span"]["request_id"] == request_id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_answered_and_logged_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let token = token(dir.path());
    let node = Node::start_with(
        dir.path(),
        &[
            ("SLUICE_LOG_FORMAT", "json"),
            ("SLUICE_LOG", "info,sluice_server::trace=debug"),
        ],
    );
    let client = reqwest::Client::new();
    let ping = format!("{}/api/v1/health/ping", node.base);
    let id_of = |r: &reqwest::Response| {
        r.headers()
            .get("x-request-id")
            .expect("every response has a request id")
            .to_str()
            .unwrap()
            .to_string()
    };

    // A well-formed id is kept; none, or a malformed one, gets a new one.
    let kept = client
        .get(&ping)
        .header("x-request-id", "test-req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&kept), "test-req-42");
    let made = id_of(&client.get(&ping).send().await.unwrap());
    assert!(made.starts_with("req_"), "{made}");
    let replaced = client
        .get(&ping)
        .header("x-request-id", "has space {\"x\":1}")
        .send()
        .await
        .unwrap();
    let replaced = id_of(&replaced);
    assert!(
        replaced.starts_with("req_") && replaced != made,
        "{replaced}"
    );

    // A request with secrets in its path and headers: the ingest token, an Authorization.
    let src: Value = post(
        &client,
        &node.base,
        &token,
        "/ingest/api/v1/source",
        json!({"name": "s", "type": "stripe", "config": {"secret": "whsec_c3RyaXBlc2VjcmV0"}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let ingest_url = src["ingestUrl"].as_str().expect("a source").to_string();
    let ingest_token = ingest_url.rsplit('/').next().unwrap().to_string();
    let credential = "Bearer authz-credential-hunter2";
    let ingest = client
        .post(&ingest_url)
        .header("authorization", credential)
        .header("x-request-id", "test-req-ingest")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&ingest), "test-req-ingest");

    let log = node.log.clone();
    wait_for("the ingest request's log line", || {
        !lines_of(&log.lock().unwrap(), "test-req-ingest").is_empty()
    })
    .await;
    let log = log.lock().unwrap().clone();
    for (id, route) in [
        ("test-req-42", "/api/v1/health/ping"),
        (made.as_str(), "/api/v1/health/ping"),
        ("test-req-ingest", "/ingest/{token}"),
    ] {
        let lines = lines_of(&log, id);
        assert!(!lines.is_empty(), "a log line carries {id}");
        for l in &lines {
            assert_eq!(l["span"]["route"], route, "{l}");
            assert!(l["span"]["method"].is_string(), "{l}");
        }
    }
    let all = log.join("\n");
    assert!(!all.contains("has space"), "a malformed id is not logged");
    for secret in [
        ingest_token.as_str(),
        "authz-credential-hunter2",
        token.as_str(),
        "c3RyaXBlc2VjcmV0",
    ] {
        assert!(!all.contains(secret), "{secret} was logged");
    }
}

/// An OTLP/HTTP collector: keeps every span it is sent.
async fn collector() -> (String, Arc<Mutex<Vec<Span>>>) {
    let spans = Arc::new(Mutex::new(Vec::new()));
    let kept = spans.clone();
    let handler = move |body: Bytes| {
        let kept = kept.clone();
        async move {
            let req = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
            for rs in req.resource_spans {
                let service = rs
                    .resource
                    .iter()
                    .flat_map(|r| &r.attributes)
                    .find(|a| a.key == "service.name")
                    .and_then(|a| a.value.clone())
                    .and_then(|v| v.value);
                assert_eq!(service, Some(Any::StringValue("sluice-test".into())));
                for ss in rs.scope_spans {
                    kept.lock().unwrap().extend(ss.spans);
                }
            }
            ([("content-type", "application/x-protobuf")], Bytes::new())
        }
    };
    let app = axum::Router::new().route("/v1/traces", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, spans)
}

fn attr<'a>(s: &'a Span, key: &str) -> Option<&'a Any> {
    s.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn text(v: Option<&Any>) -> String {
    match v {
        Some(Any::StringValue(s)) => s.clone(),
        other => format!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_and_its_attempts_are_one_trace() {
    let (otlp, spans) = collector().await;
    let rx = receiver(false).await;
    let dir = tempfile::tempdir().unwrap();
    let token = token(dir.path());
    let node = Node::start_with(
        dir.path(),
        &[
            ("SLUICE_OTLP_ENDPOINT", otlp.as_str()),
            ("SLUICE_OTLP_SERVICE_NAME", "sluice-test"),
            // Export every 100 ms instead of every 5 s, so the test is quick.
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let client = reqwest::Client::new();
    let app: Value = post(
        &client,
        &node.base,
        &token,
        "/api/v1/app",
        json!({"name": "t"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let app_id = app["id"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let ep = post(
            &client,
            &node.base,
            &token,
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": rx.url}),
        )
        .await
        .unwrap();
        assert_eq!(ep.status(), 201);
    }
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let marker = "payload-marker-7f3a";
    let published = client
        .post(format!("{}/api/v1/app/{app_id}/msg", node.base))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .json(&json!({"eventType": "t", "payload": {"secret": marker}}))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 202);
    let seen = rx.seen.clone();
    wait_for("both deliveries", || seen.lock().unwrap().len() >= 2).await;
    let named = |name: &str| -> Vec<Span> {
        spans
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.name == name)
            .cloned()
            .collect()
    };
    let msg_route = "/api/v1/app/{app_id}/msg";
    wait_for("the publish, delivery and attempt spans", || {
        named("attempt").len() >= 2
            && named("delivery").len() >= 2
            && named("request")
                .iter()
                .any(|s| text(attr(s, "route")) == msg_route)
    })
    .await;

    let publish: Vec<Span> = named("request")
        .into_iter()
        .filter(|s| text(attr(s, "route")) == msg_route)
        .collect();
    assert_eq!(publish.len(), 1);
    let publish = &publish[0];
    assert_eq!(
        hex::encode(&publish.trace_id),
        trace_id,
        "the caller's trace goes on"
    );
    assert_eq!(hex::encode(&publish.parent_span_id), caller_span);
    assert_eq!(text(attr(publish, "method")), "POST");
    let deliveries = named("delivery");
    assert_eq!(deliveries.len(), 2);
    for d in &deliveries {
        assert_eq!(d.trace_id, publish.trace_id, "one trace");
        assert_eq!(
            d.parent_span_id, publish.span_id,
            "fan-out under the publish"
        );
    }
    let attempts = named("attempt");
    assert_eq!(attempts.len(), 2);
    for a in &attempts {
        assert_eq!(a.trace_id, publish.trace_id);
        assert!(
            deliveries.iter().any(|d| d.span_id == a.parent_span_id),
            "each attempt inside its delivery"
        );
        let status = text(attr(a, "http.status"));
        assert!(
            ["200", "IntValue(200)"].contains(&status.as_str()),
            "{status}"
        );
    }
    // Nothing of the payload or the credentials in any span.
    let dump = format!("{:?}", spans.lock().unwrap());
    assert!(!dump.contains(marker), "the payload was exported");
    assert!(!dump.contains(&token), "the token was exported");
}
