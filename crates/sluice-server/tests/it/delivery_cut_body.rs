//! A response whose body is cut off after a 2xx status (the connection reset, or closed
//! before `Content-Length` bytes) counts as delivered, since the receiver accepted the
//! request, and its attempt says that the body was cut off and how (issue 6, item 9).

use serde_json::json;
use sluice_core::model::DeliveryStatus;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::delivery_common::*;
use crate::helpers::spawn_app;

/// What the receiver sends of a body it declares 1,000 bytes long.
const PARTIAL: &str = "accepted, but";

#[tokio::test]
async fn a_body_cut_off_after_a_2xx_is_recorded_on_the_attempt() {
    let app = spawn_app().await;
    for (reset, how) in [(true, "reset"), (false, "closed")] {
        let url = cut_body_receiver(reset).await;
        let s = app_with_endpoint(&app, &url, json!({})).await;
        let msg_id = publish(&app, &s.app_id, 0).await;

        let d = wait_status(&app, &msg_id, &s.ep_id, DeliveryStatus::Success).await;
        assert_eq!(
            d.attempts, 1,
            "{how}: delivered at the first try, not retried"
        );
        // What the API shows for the attempt.
        let listed = app
            .get_ok(&format!("/api/v1/app/{}/attempt/msg/{msg_id}", s.app_id))
            .await;
        let attempt = &listed["data"][0];
        assert_eq!(attempt["responseStatusCode"], 200, "{how}");
        assert_eq!(attempt["status"], 0, "{how}: attempt succeeded");
        let response = attempt["response"].as_str().expect("response text");
        assert!(
            response.starts_with(PARTIAL),
            "{how}: the bytes that arrived are kept: {response:?}"
        );
        assert!(
            response.contains("[response body cut off after 13 of 1000 bytes"),
            "{how}: the attempt says the body was cut off: {response:?}"
        );
        if reset {
            assert!(
                response.to_lowercase().contains("reset"),
                "{how}: and why: {response:?}"
            );
        }
    }
}

/// A raw HTTP/1.1 receiver on 127.0.0.1: reads each request in full, answers `200` with
/// `Content-Length: 1000` but only [`PARTIAL`], then resets the connection (`reset`, with
/// `SO_LINGER` 0) or closes it.
async fn cut_body_receiver(reset: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                if read_request(&mut sock).await.is_none() {
                    return;
                }
                let head =
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\n\r\n";
                let _ = sock.write_all(format!("{head}{PARTIAL}").as_bytes()).await;
                let _ = sock.flush().await;
                if reset {
                    let _ = sock.set_zero_linger();
                } else {
                    let _ = sock.shutdown().await;
                }
            });
        }
    });
    format!("http://{addr}/hook")
}

/// Reads a request's head and its `content-length` body; `None` if the peer went away.
async fn read_request(sock: &mut TcpStream) -> Option<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = sock.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 64 * 1024 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = sock.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(())
}
