//! Cron sources through the real server: ticks computed from an injected `now`, emitted
//! into the inbound pipeline and forwarded; two emitters of one tick yield one message.
//! The schedule fires once a year, so the server's own scheduler (running on the real
//! clock) stays quiet during the test.

use std::collections::HashMap;

use serde_json::{json, Value};
use sluice_server::ingest::cron::{next_tick, scan};
use sluice_server::ingest::kinds::Settings;

use crate::delivery_common::{verifies, WAIT};
use crate::helpers::{spawn_app, Receiver};
use crate::inbound_common::now_secs;

#[tokio::test]
async fn each_tick_is_emitted_once_even_by_two_emitters() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let config = json!({"schedule": "0 0 1 1 *", "payload": "{\"tick\": true}",
                        "contentType": "application/json"});
    let src = app
        .post_ok(
            "/ingest/api/v1/source",
            &json!({"name": "yearly", "type": "cron", "config": config}),
            201,
        )
        .await;
    let src_id = src["id"].as_str().unwrap();
    let eps = format!("/ingest/api/v1/source/{src_id}/endpoint");
    let ep = app.post_ok(&eps, &json!({"url": receiver.url}), 201).await;
    let secret = app
        .get_ok(&format!("{eps}/{}/secret", ep["id"].as_str().unwrap()))
        .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let messages = || async {
        let v = app.get_ok(&format!("/api/v1/app/{src_id}/msg")).await;
        v["data"].as_array().unwrap().clone()
    };

    let spec = Settings::parse("cron", &config).unwrap().cron().unwrap();
    let tick = next_tick(&spec, now_secs()).unwrap();
    // Before the first tick after its creation, a source emits nothing (last year's tick
    // predates it).
    let (mut a, mut b) = (HashMap::new(), HashMap::new());
    assert_eq!(
        scan(&app.state, tick - 1, &mut a).await.unwrap(),
        Some(tick)
    );
    assert!(messages().await.is_empty());

    // Two emitters (two nodes) at the same tick: one message.
    let (ra, rb) = tokio::join!(
        scan(&app.state, tick + 1, &mut a),
        scan(&app.state, tick + 1, &mut b)
    );
    let next = ra.unwrap().unwrap();
    assert_eq!(rb.unwrap(), Some(next));
    assert_eq!(next, next_tick(&spec, tick).unwrap());
    let msgs = messages().await;
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["eventId"], format!("cron:{tick}"));
    assert_eq!(msgs[0]["eventType"], "ingest.cron");
    assert_eq!(msgs[0]["payload"], json!({"tick": true}));
    let got = receiver.next(WAIT).await;
    assert_eq!(&got.body[..], b"{\"tick\": true}");
    assert_eq!(got.header("content-type"), "application/json");
    assert!(verifies(&secret, &got));

    // Scanning again at the same tick is a no-op; the next tick emits the next message.
    scan(&app.state, tick + 30, &mut a).await.unwrap();
    scan(&app.state, next, &mut b).await.unwrap();
    let msgs: Vec<Value> = messages().await;
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["eventId"], format!("cron:{next}"));
    let got = receiver.next(WAIT).await;
    assert_eq!(&got.body[..], b"{\"tick\": true}");
    assert_eq!(receiver.count(), 2);
}
