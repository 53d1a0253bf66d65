//! Invariant 2 across a dead claimer: a delivery claimed by a dispatcher that dies mid-send
//! stays leased until its lease expires, then is claimed and sent again, once.
//!
//! The "dead node" is a step abandoned while its request hangs at the receiver: its try is
//! never recorded, exactly as when a process is killed between sending and recording.

use serde_json::json;
use sluice_core::model::DeliveryStatus;

use crate::delivery_common::*;
use crate::helpers::{spawn_stepped_app, Receiver, Reply};

#[tokio::test]
async fn an_abandoned_claim_is_sent_again_when_its_lease_expires() {
    let (app, dispatcher) = spawn_stepped_app(|_| {}).await;
    let rx = Receiver::scripted(vec![Reply::Hang], Reply::Status(200)).await;
    let s = app_with_endpoint(&app, &rx.url, json!({})).await;
    let msg_id = publish(&app, &s.app_id, 1).await;
    let due = delivery(&app, &msg_id, &s.ep_id)
        .await
        .next_attempt_at
        .expect("due at once");

    {
        let step = dispatcher.step(due);
        tokio::pin!(step);
        tokio::select! {
            r = &mut step => panic!("the step ended although its receiver hangs: {r:?}"),
            _ = rx.next(WAIT) => {}
        }
        // Dropped here, mid-send: the claimer is gone and nothing was recorded.
    }
    let lease = dispatcher.lease_ms();
    let d = delivery(&app, &msg_id, &s.ep_id).await;
    assert_eq!(
        (d.status, d.attempts, d.next_attempt_at),
        (DeliveryStatus::Sending, 0, Some(due + lease)),
        "leased until the claim's lease expires"
    );

    // Still leased a millisecond before expiry: nobody else may take it.
    let r = dispatcher.step(due + lease - 1).await.unwrap();
    assert_eq!((r.claimed, rx.count()), (0, 1));

    // At expiry it is claimed again and sent once more.
    let r = dispatcher.step(due + lease).await.unwrap();
    assert_eq!((r.claimed, r.delivered, rx.count()), (1, 1, 2));
    let d = delivery(&app, &msg_id, &s.ep_id).await;
    assert_eq!(
        (d.status, d.attempts, d.next_attempt_at),
        (DeliveryStatus::Success, 1, None)
    );
    let list = attempts(&app, &s.app_id, &msg_id).await;
    assert_eq!(list.len(), 1, "the abandoned try left no attempt");
    assert_eq!(list[0].created_at, due + lease);
    assert_eq!(list[0].response_status_code, 200);
}
