//! Secret rotation: during the grace period every delivery carries a signature for the new
//! and for the old secret; once the grace period is over, only the new one.

use serde_json::json;

use crate::delivery_common::*;
use crate::helpers::{spawn_app, Receiver};

const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

#[tokio::test]
async fn old_and_new_secret_verify_during_the_grace_period_only() {
    let app = spawn_app().await;
    let rx = Receiver::ok().await;
    let s = app_with_endpoint(&app, &rx.url, json!({ "secret": OLD })).await;

    let rotate = format!(
        "/api/v1/app/{}/endpoint/{}/secret/rotate",
        s.app_id, s.ep_id
    );
    let resp = app.post(&rotate, &json!({ "key": NEW })).await;
    assert!(resp.status().is_success(), "rotate: {}", resp.status());
    assert_eq!(app.endpoint_secret(&s.app_id, &s.ep_id).await, NEW);

    publish(&app, &s.app_id, 1).await;
    let got = rx.next(WAIT).await;
    assert!(verifies(NEW, &got), "the new secret verifies");
    assert!(
        verifies(OLD, &got),
        "the old secret still verifies during the grace period"
    );
    assert_eq!(got.header("webhook-signature").split(' ').count(), 2);

    // End the grace period.
    let mut ep = endpoint(&app, &s.app_id, &s.ep_id).await;
    assert_eq!(ep.retired_secrets.len(), 1);
    ep.retired_secrets[0].expires_at = sluice_core::now_millis() - 1;
    app.state.store.update_endpoint(ep).await.unwrap();

    publish(&app, &s.app_id, 2).await;
    let got = rx.next(WAIT).await;
    assert!(verifies(NEW, &got));
    assert!(!verifies(OLD, &got), "an expired secret no longer signs");
    assert_eq!(got.header("webhook-signature").split(' ').count(), 1);
}
