//! Idempotency keys claimed in the store: one caller runs, the others wait and then replay
//! its response; a claim is a lease whose takeover fences out the old holder; purge.

use sluice_store::{CachedResponse, IdempotencyBegin, StoreResult};

use super::*;

const LEASE: i64 = 1_000;

fn resp(status: u16, body: &str) -> CachedResponse {
    CachedResponse {
        status,
        body: body.as_bytes().to_vec(),
        msg_id: None,
    }
}

async fn begin(s: &Dyn, key: &str, now: i64) -> IdempotencyBegin {
    s.idempotency_begin(key, now, LEASE).await.unwrap()
}

async fn run_token(s: &Dyn, key: &str, now: i64) -> i64 {
    match begin(s, key, now).await {
        IdempotencyBegin::Run { token } => token,
        other => panic!("expected to run {key}, got {other:?}"),
    }
}

/// The first caller runs; while it does, others see it in flight; once it finishes they
/// replay its response, and nothing can replace that response.
pub async fn claim_then_replay(s: Dyn) {
    let token = run_token(&s, "k1", T0).await;
    assert_eq!(begin(&s, "k1", T0 + 1).await, IdempotencyBegin::InFlight);
    let first = resp(202, r#"{"id":"one"}"#);
    assert!(s
        .idempotency_finish("k1", token, first.clone(), T0 + 2)
        .await
        .unwrap());
    assert_eq!(
        begin(&s, "k1", T0 + 3).await,
        IdempotencyBegin::Replay(first.clone())
    );
    // A second finish or an abandon of the ended claim changes nothing.
    assert!(!s
        .idempotency_finish("k1", token, resp(200, "other"), T0 + 4)
        .await
        .unwrap());
    s.idempotency_abandon("k1", token).await.unwrap();
    // Long after the claim's lease: a stored response does not expire with it.
    assert_eq!(
        begin(&s, "k1", T0 + 100 * LEASE).await,
        IdempotencyBegin::Replay(first)
    );
    // Keys are independent.
    run_token(&s, "k2", T0 + 5).await;
    s.ping().await.expect("ping");
}

/// A claim whose lease ran out is taken over with a new token; the old holder can then
/// neither store its response, nor renew, nor free the new claim. A renewed claim lives on.
pub async fn expired_claim_is_taken_over_and_fenced(s: Dyn) {
    let old = run_token(&s, "k", T0).await;
    assert_eq!(
        begin(&s, "k", T0 + LEASE - 1).await,
        IdempotencyBegin::InFlight
    );
    let new = run_token(&s, "k", T0 + LEASE).await;
    assert_ne!(new, old);
    assert!(!s
        .idempotency_finish("k", old, resp(200, "late"), T0 + LEASE + 1)
        .await
        .unwrap());
    assert!(!s
        .idempotency_renew("k", old, T0 + LEASE + 1, LEASE)
        .await
        .unwrap());
    s.idempotency_abandon("k", old).await.unwrap();
    assert_eq!(
        begin(&s, "k", T0 + LEASE + 2).await,
        IdempotencyBegin::InFlight
    );

    // Renewed at +1.5 lease, the claim is live until +2.5 leases.
    assert!(s
        .idempotency_renew("k", new, T0 + LEASE * 3 / 2, LEASE)
        .await
        .unwrap());
    assert_eq!(
        begin(&s, "k", T0 + LEASE * 5 / 2 - 1).await,
        IdempotencyBegin::InFlight
    );
    let third = run_token(&s, "k", T0 + LEASE * 5 / 2).await;
    assert!(third != new && third != old);
    let done = resp(201, "third");
    assert!(s
        .idempotency_finish("k", third, done.clone(), T0 + LEASE * 3)
        .await
        .unwrap());
    assert_eq!(
        begin(&s, "k", T0 + LEASE * 3).await,
        IdempotencyBegin::Replay(done)
    );
}

/// An abandoned claim (the request failed) is free at once, under a new token.
pub async fn abandoned_claim_is_free_at_once(s: Dyn) {
    let first = run_token(&s, "k", T0).await;
    s.idempotency_abandon("k", first).await.unwrap();
    let second = run_token(&s, "k", T0 + 1).await;
    assert_ne!(second, first);
    // The first holder, back late, cannot end the second claim.
    assert!(!s
        .idempotency_finish("k", first, resp(200, "stale"), T0 + 2)
        .await
        .unwrap());
    assert_eq!(begin(&s, "k", T0 + 2).await, IdempotencyBegin::InFlight);
}

/// Of many concurrent callers with the same key, exactly one runs.
pub async fn concurrent_begins_run_once(s: Dyn) {
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.idempotency_begin("same", T0, LEASE).await })
        })
        .collect();
    let mut runs = 0;
    for t in tasks {
        let got: StoreResult<IdempotencyBegin> = t.await.unwrap();
        match got.unwrap() {
            IdempotencyBegin::Run { .. } => runs += 1,
            IdempotencyBegin::InFlight => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(runs, 1, "one caller runs the request");
}

/// Purge drops responses stored, and claims made, before the cut-off; a purged key runs
/// again.
pub async fn purge_drops_old_keys_only(s: Dyn) {
    let old = run_token(&s, "old", T0).await;
    let kept = resp(200, "kept");
    s.idempotency_finish("old", old, resp(200, "gone"), T0)
        .await
        .unwrap();
    let new = run_token(&s, "new", T0 + 100).await;
    s.idempotency_finish("new", new, kept.clone(), T0 + 100)
        .await
        .unwrap();
    run_token(&s, "stale-claim", T0 + 10).await;
    assert_eq!(s.idempotency_purge(T0 + 50).await.unwrap(), 2);
    run_token(&s, "old", T0 + 200).await;
    assert_eq!(
        begin(&s, "new", T0 + 200).await,
        IdempotencyBegin::Replay(kept)
    );
}
