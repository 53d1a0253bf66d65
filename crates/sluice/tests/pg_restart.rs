//! PostgreSQL restarting under load (issue 8): while the database is down the API answers
//! 503 with `Retry-After`; when it is back the nodes reconnect by themselves (no node is
//! restarted) and every acknowledged message is delivered.
//!
//! This stops and starts the local PostgreSQL cluster (`pg_ctlcluster`), so it lives in its
//! own test binary: cargo runs test binaries one after another, so no other test is using
//! the database meanwhile. A guard starts the cluster again if the test fails midway.

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

mod common;

use common::cluster::{counting_receiver, wait_for, Cluster};
use common::post;

/// The local cluster serving port 5432: (version, name) from `pg_lsclusters`.
fn local_cluster() -> (String, String) {
    let out = Command::new("pg_lsclusters")
        .arg("-h")
        .output()
        .expect("pg_lsclusters runs (Debian's postgresql-common)");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() >= 3 && f[2] == "5432")
        .map(|f| (f[0].to_string(), f[1].to_string()))
        .expect("a PostgreSQL cluster on port 5432")
}

fn pg_ctl(action: &str) {
    let (version, name) = local_cluster();
    let mut cmd = Command::new("pg_ctlcluster");
    cmd.args(["--skip-systemctl-redirect", &version, &name, action]);
    if action == "stop" {
        cmd.args(["-m", "fast"]);
    }
    let out = cmd.output().expect("pg_ctlcluster runs");
    assert!(
        out.status.success(),
        "pg_ctlcluster {action}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the cluster again when dropped, so a failing test leaves the database up.
struct StartOnDrop;

impl Drop for StartOnDrop {
    fn drop(&mut self) {
        let (version, name) = local_cluster();
        let _ = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &version, &name, "start"])
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_restart_under_load_loses_nothing_and_needs_no_node_restart() {
    let rx = counting_receiver(Duration::from_millis(1)).await;
    let mut c = Cluster::start(2, &[]).await;
    let client = reqwest::Client::new();
    let base0 = c.base(0);
    let app = post(
        &client,
        &base0,
        &c.token,
        "/api/v1/app",
        json!({"name": "r"}),
    );
    let app: Value = app.await.unwrap().json().await.unwrap();
    let app_id = app["id"].as_str().unwrap().to_string();
    let eps = format!("/api/v1/app/{app_id}/endpoint");
    let ep = post(&client, &base0, &c.token, &eps, json!({"url": rx.url}));
    assert_eq!(ep.await.unwrap().status(), 201);

    let acked = Arc::new(Mutex::new(HashSet::<String>::new()));
    let unavailable = Arc::new(AtomicUsize::new(0));
    let other = Arc::new(Mutex::new(Vec::<u16>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut publishers = Vec::new();
    for i in 0..6 {
        let base = c.base(i % 2);
        let (client, token) = (client.clone(), c.token.clone());
        let path = format!("/api/v1/app/{app_id}/msg");
        let (acked, unavailable, other, stop) = (
            acked.clone(),
            unavailable.clone(),
            other.clone(),
            stop.clone(),
        );
        publishers.push(tokio::spawn(async move {
            for n in 0..20_000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let body = json!({"eventType": "restart.test", "payload": {"i": i, "n": n}});
                let r = post(&client, &base, &token, &path, body)
                    .await
                    .expect("the node itself stays up");
                match r.status().as_u16() {
                    202 => {
                        let v: Value = r.json().await.unwrap();
                        acked
                            .lock()
                            .unwrap()
                            .insert(v["id"].as_str().unwrap().to_string());
                    }
                    503 => {
                        assert!(
                            r.headers().contains_key("retry-after"),
                            "503 without Retry-After"
                        );
                        unavailable.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    code => {
                        other.lock().unwrap().push(code);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }));
    }
    wait_for(
        "traffic before the restart",
        Duration::from_secs(60),
        || acked.lock().unwrap().len() >= 500,
    )
    .await;

    let guard = StartOnDrop;
    pg_ctl("stop");
    wait_for(
        "503s while the database is down",
        Duration::from_secs(30),
        || unavailable.load(Ordering::SeqCst) >= 20,
    )
    .await;
    pg_ctl("start");
    drop(guard);
    let after_restart = acked.lock().unwrap().len();
    wait_for("traffic after the restart", Duration::from_secs(60), || {
        acked.lock().unwrap().len() >= after_restart + 500
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for p in publishers {
        p.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    rx.wait_for_all(&acked, Duration::from_secs(120)).await;
    let others = other.lock().unwrap().clone();
    println!(
        "PostgreSQL restart under load: {} acknowledged and delivered, {} answered 503, other statuses {others:?}",
        acked.len(),
        unavailable.load(Ordering::SeqCst)
    );
    assert!(
        others.is_empty(),
        "while the database was down, requests got {others:?} instead of 503"
    );
    c.assert_all_running();
}
