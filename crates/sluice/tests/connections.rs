//! Connections a client could hold forever (issue 6, item 1), against the real binary:
//! an idle flood larger than the open-file limit must not lock out the API, slow headers,
//! stalled bodies and idle keep-alive connections are cut by their timeouts, the soft
//! open-file limit is raised, and a declared body over the limit is refused before
//! `100 Continue`.
//!
//! Timeouts are set short through the environment; the tests wait for the server to act
//! (EOF on the socket), bounded by [`DEADLINE`] so that a server that never acts fails.

mod common;

use std::time::Duration;

use common::{token, Node};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a test waits for the server to close or answer before it fails.
const DEADLINE: Duration = Duration::from_secs(30);

/// A timeout long enough never to fire during a test.
const NEVER: &str = "600";

fn addr(node: &Node) -> &str {
    node.base.strip_prefix("http://").expect("http base")
}

async fn connect(node: &Node) -> TcpStream {
    TcpStream::connect(addr(node)).await.expect("connect")
}

/// Everything the server sends until it closes the connection.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(DEADLINE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&got).into_owned();
    assert!(
        read.is_ok(),
        "the server kept the connection open for {DEADLINE:?}; it sent {text:?}"
    );
    text
}

/// Writes `bytes` one at a time, 100 ms apart (a client that keeps the connection busy but
/// never finishes), until the server stops reading, closes, or [`DEADLINE`] passes; then
/// returns what it answered.
async fn trickle(stream: &mut TcpStream, bytes: &[u8]) -> String {
    let sent = tokio::time::timeout(DEADLINE, async {
        for b in bytes.iter().cycle() {
            if stream.write_all(&[*b]).await.is_err() {
                return;
            }
            let mut peek = [0u8; 1];
            let closed = tokio::time::timeout(Duration::from_millis(100), stream.peek(&mut peek));
            if closed.await.is_ok() {
                return;
            }
        }
    })
    .await;
    assert!(
        sent.is_ok(),
        "the server kept reading a trickle for {DEADLINE:?}"
    );
    read_to_close(stream).await
}

/// One response head (through the blank line), bounded by [`DEADLINE`].
async fn read_head(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    tokio::time::timeout(DEADLINE, async {
        while !got.ends_with(b"\r\n\r\n") {
            let n = stream.read(&mut byte).await.expect("read");
            assert!(n == 1, "closed before a whole response head: {got:?}");
            got.push(byte[0]);
        }
    })
    .await
    .expect("a response head in time");
    String::from_utf8(got).unwrap()
}

fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(str::to_string)
        })
        .expect("content-length")
        .trim()
        .parse()
        .unwrap()
}

fn body_json(response: &str) -> Value {
    let (_, body) = response.split_once("\r\n\r\n").expect("head and body");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"))
}

/// A source's ingest URL path (`/ingest/…`), for routes outside the management API.
async fn ingest_path(node: &Node, token: &str) -> String {
    let src: Value = common::post(
        &reqwest::Client::new(),
        &node.base,
        token,
        "/ingest/api/v1/source",
        json!({"name": "g", "type": "generic-webhook", "config": {}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let url = src["ingestUrl"].as_str().expect("a source").to_string();
    url.strip_prefix(&node.base)
        .expect("local ingest URL")
        .to_string()
}

#[cfg(target_os = "linux")]
#[test]
fn the_soft_open_file_limit_is_raised_to_the_hard_limit() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start_via(&["prlimit", "--nofile=256:512"], dir.path(), &[]);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", node.pid())).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("open-file line");
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[3..5], ["512", "512"], "{line}");
}

/// The issue's scenario: more idle connections than the process may open files. The health
/// check and an authenticated call must still be answered, wave after wave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_connections_beyond_the_open_file_limit_does_not_lock_out_the_api() {
    const OPEN_FILES: usize = 256;
    // The flood itself needs descriptors in this process.
    rlimit::increase_nofile_limit(4096).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token = token(dir.path());
    // Only the connection cap can help here: no timeout fires during the test.
    let env = [
        ("SLUICE_HEADER_READ_TIMEOUT_SECS", NEVER),
        ("SLUICE_IDLE_TIMEOUT_SECS", NEVER),
    ];
    let nofile = format!("--nofile={OPEN_FILES}:{OPEN_FILES}");
    let node = Node::start_via(&["prlimit", &nofile], dir.path(), &env);
    // Every call comes in on a new connection, as a new client's would.
    let client = reqwest::Client::builder()
        .timeout(DEADLINE)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut flood = Vec::new();
    for wave in 0..2 {
        for _ in 0..OPEN_FILES + 44 {
            flood.push(connect(&node).await);
        }
        let health = client
            .get(format!("{}/api/v1/health", node.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("wave {wave}: health check not answered: {e}"));
        assert_eq!(health.status(), 200, "wave {wave}");
        let apps = client
            .get(format!("{}/api/v1/app", node.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("wave {wave}: API call not answered: {e}"));
        assert_eq!(apps.status(), 200, "wave {wave}");
        let created = common::post(
            &client,
            &node.base,
            &token,
            "/api/v1/app",
            json!({"name": "a"}),
        )
        .await
        .unwrap_or_else(|e| panic!("wave {wave}: API write not answered: {e}"));
        assert_eq!(created.status(), 201, "wave {wave}");
    }
    assert_eq!(flood.len(), 2 * (OPEN_FILES + 44));
    let log = node.log.lock().unwrap().join("\n");
    assert!(!log.contains("Too many open files"), "{log}");
}

#[tokio::test]
async fn slow_headers_are_cut_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("SLUICE_HEADER_READ_TIMEOUT_SECS", "1"),
        ("SLUICE_IDLE_TIMEOUT_SECS", NEVER),
    ];
    let node = Node::start_with(dir.path(), &env);
    // Nothing at all, and a request line with part of its headers.
    let mut silent = connect(&node).await;
    let mut slow = connect(&node).await;
    slow.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    assert_eq!(read_to_close(&mut slow).await, "");
    assert_eq!(read_to_close(&mut silent).await, "");
    // The timeout bounds the whole head, not the pause between bytes.
    let mut trickling = connect(&node).await;
    trickling
        .write_all(b"GET /api/v1/health HTTP/1.1\r\n")
        .await
        .unwrap();
    assert_eq!(trickle(&mut trickling, b"X-Slow: abc\r\n").await, "");
}

#[tokio::test]
async fn a_stalled_body_gets_408_and_the_connection_closes() {
    let dir = tempfile::tempdir().unwrap();
    let token = token(dir.path());
    let env = [
        ("SLUICE_BODY_READ_TIMEOUT_SECS", "1"),
        ("SLUICE_HEADER_READ_TIMEOUT_SECS", NEVER),
        ("SLUICE_IDLE_TIMEOUT_SECS", NEVER),
    ];
    let node = Node::start_with(dir.path(), &env);
    let ingest = ingest_path(&node, &token).await;
    for path in ["/api/v1/app", ingest.as_str()] {
        let mut s = connect(&node).await;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        let response = read_to_close(&mut s).await;
        assert!(response.starts_with("HTTP/1.1 408 "), "{path}: {response}");
        assert_eq!(body_json(&response)["code"], "request_timeout", "{path}");
    }
    // The timeout bounds the whole body, not the pause between bytes.
    let mut s = connect(&node).await;
    let head = format!(
        "POST /api/v1/app HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"name\":\""
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let response = trickle(&mut s, b"a").await;
    assert!(response.starts_with("HTTP/1.1 408 "), "trickle: {response}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("SLUICE_IDLE_TIMEOUT_SECS", "1"),
        ("SLUICE_HEADER_READ_TIMEOUT_SECS", NEVER),
    ];
    let node = Node::start_with(dir.path(), &env);
    let mut s = connect(&node).await;
    for _ in 0..2 {
        s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let head = read_head(&mut s).await;
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        assert!(!head.to_ascii_lowercase().contains("connection: close"));
        let mut body = vec![0; content_length(&head)];
        s.read_exact(&mut body).await.unwrap();
    }
    // Kept alive across requests, then closed once idle.
    assert_eq!(read_to_close(&mut s).await, "");
}

#[tokio::test]
async fn expect_continue_with_a_declared_length_over_the_limit_gets_413_and_never_100() {
    let dir = tempfile::tempdir().unwrap();
    let token = token(dir.path());
    let node = Node::start_with(dir.path(), &[("SLUICE_MAX_PAYLOAD_BYTES", "1000")]);
    let ingest = ingest_path(&node, &token).await;
    let request = |path: &str, length: usize| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {length}\r\n\
             Expect: 100-continue\r\n\r\n"
        )
    };
    for path in ["/api/v1/app", ingest.as_str()] {
        let mut s = connect(&node).await;
        s.write_all(request(path, 1001).as_bytes()).await.unwrap();
        // The server answers and closes without waiting for the body it refused.
        let response = read_to_close(&mut s).await;
        assert!(response.starts_with("HTTP/1.1 413 "), "{path}: {response}");
        assert!(!response.contains("100 Continue"), "{path}: {response}");
        let body = body_json(&response);
        assert_eq!(body["code"], "payload_too_large", "{path}");
        assert!(body["detail"].as_str().unwrap().contains("1000"), "{body}");
    }
    // Within the limit, the client is told to continue and the request goes through.
    let mut s = connect(&node).await;
    let app = br#"{"name":"a"}"#;
    s.write_all(request("/api/v1/app", app.len()).as_bytes())
        .await
        .unwrap();
    assert_eq!(read_head(&mut s).await, "HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(app).await.unwrap();
    let head = read_head(&mut s).await;
    assert!(head.starts_with("HTTP/1.1 201 "), "{head}");
}

/// The new loop keeps `axum::serve`'s graceful shutdown: on SIGTERM idle connections close
/// at once, a request under way is still answered, and the process then exits cleanly.
#[tokio::test]
async fn shutdown_closes_idle_connections_and_finishes_requests_under_way() {
    let dir = tempfile::tempdir().unwrap();
    let token = token(dir.path());
    let mut node = Node::start_with(dir.path(), &[]);
    let mut idle = connect(&node).await;
    idle.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let head = read_head(&mut idle).await;
    let mut body = vec![0; content_length(&head)];
    idle.read_exact(&mut body).await.unwrap();
    // `100 Continue` shows the handler is reading the body: the request is under way.
    let app = br#"{"name":"finished during shutdown"}"#;
    let mut uploading = connect(&node).await;
    let request = format!(
        "POST /api/v1/app HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\
         Expect: 100-continue\r\n\r\n",
        app.len()
    );
    uploading.write_all(request.as_bytes()).await.unwrap();
    assert_eq!(
        read_head(&mut uploading).await,
        "HTTP/1.1 100 Continue\r\n\r\n"
    );
    uploading.write_all(&app[..10]).await.unwrap();

    let term = std::process::Command::new("kill")
        .args(["-TERM", &node.pid().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    assert_eq!(read_to_close(&mut idle).await, "");
    uploading.write_all(&app[10..]).await.unwrap();
    let response = read_to_close(&mut uploading).await;
    assert!(response.starts_with("HTTP/1.1 201 "), "{response}");
    assert_eq!(body_json(&response)["name"], "finished during shutdown");
    let exited = tokio::time::timeout(DEADLINE, async {
        loop {
            if let Some(status) = node.try_wait() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("sluice exits after the drain");
    assert!(exited.success(), "{exited:?}");
}
