//! Invariant 7: no delivery to a private network unless it is allowed — checked on the
//! address actually connected to (host names after resolution, IP literals directly).

use serde_json::json;
use sluice_core::model::DeliveryStatus;

use crate::delivery_common::*;
use crate::helpers::{spawn_app_with, spawn_stepped_app, Receiver};

async fn assert_refused(url_of: impl Fn(&str) -> String) {
    let (app, dispatcher) = spawn_stepped_app(|c| c.allowed_networks = vec![]).await;
    let rx = Receiver::ok().await;
    let s = app_with_endpoint(&app, &url_of(&rx.url), json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    let tries = step_to_end(&app, &dispatcher, &msg_id, &s.ep_id, &rx).await;
    let d = delivery(&app, &msg_id, &s.ep_id).await;
    assert_eq!(d.status, DeliveryStatus::Fail);
    assert_eq!(
        (tries.len(), d.attempts),
        (1, 1),
        "a refused destination is not retried: it cannot succeed until the policy changes"
    );
    for a in attempts(&app, &s.app_id, &msg_id).await {
        assert_eq!(a.error_class.as_deref(), Some("blocked"));
        assert_eq!(a.response_status_code, 0);
        assert_eq!(a.status, DeliveryStatus::Fail);
        assert!(
            a.response.contains("not allowed (private network)"),
            "{}",
            a.response
        );
        assert!(a.response.contains("allowed_networks"), "{}", a.response);
    }
    assert_eq!(rx.count(), 0, "no request reached the private receiver");
}

#[tokio::test]
async fn loopback_ip_literal_is_refused() {
    assert_refused(|url| url.to_owned()).await;
}

#[tokio::test]
async fn host_name_resolving_to_loopback_is_refused() {
    assert_refused(|url| url.replace("127.0.0.1", "localhost")).await;
}

#[tokio::test]
async fn ipv4_mapped_ipv6_literal_is_refused() {
    assert_refused(|url| url.replace("127.0.0.1", "[::ffff:127.0.0.1]")).await;
}

#[tokio::test]
async fn allowed_network_is_delivered_to() {
    let app = spawn_app_with(|c| c.allowed_networks = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let rx = Receiver::ok().await;
    let s = app_with_endpoint(&app, &rx.url.replace("127.0.0.1", "localhost"), json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;

    wait_status(&app, &msg_id, &s.ep_id, DeliveryStatus::Success).await;
    assert_eq!(rx.count(), 1);
}
