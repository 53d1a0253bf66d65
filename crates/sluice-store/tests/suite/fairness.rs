//! Claims share the work between applications: the caller's share of each application
//! bounds what one claim takes of it, so one tenant's large, old backlog neither fills a
//! claim nor keeps another tenant's newly due delivery out of it.

use std::collections::{BTreeMap, HashMap};

use super::queue::release;
use super::*;

fn per_app(claimed: &[Claimed]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for c in claimed {
        *m.entry(c.delivery.app_id.clone()).or_default() += 1;
    }
    m
}

pub async fn app_share_bounds_a_claim(s: Dyn) {
    let big = new_app(&s).await;
    for _ in 0..3 {
        new_endpoint(&s, &big.id, |_| {}).await;
    }
    // 200 old messages × 3 endpoints: far more rows than a claim's head window.
    let mut tasks = Vec::new();
    for w in 0..10 {
        let (s, app_id) = (s.clone(), big.id.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..20 {
                let (_, n) = publish(&s, &app_id, "t", T0 + w * 20 + i).await;
                assert_eq!(n, 3);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let small = new_app(&s).await;
    new_endpoint(&s, &small.id, |_| {}).await;
    publish(&s, &small.id, "t", T0 + 5_000).await;
    let now = T0 + 10_000;
    let both = |b, s| BTreeMap::from([(big.id.clone(), b), (small.id.clone(), s)]);

    // A share of 10: the big tenant takes 10, the newer delivery of the other is in the
    // same claim although 600 older rows sort before it.
    let req = ClaimRequest {
        per_app: 10,
        ..claim_req(now, 64, 50)
    };
    let got = s.claim_due(req.clone()).await.unwrap();
    assert_eq!(per_app(&got), both(10, 1));
    release(&s, &got, now).await;

    // The caller already holds claims of the big tenant: only its room is taken.
    let room = |n| ClaimRequest {
        app_room: HashMap::from([(big.id.clone(), n)]),
        ..req.clone()
    };
    let got = s.claim_due(room(3)).await.unwrap();
    assert_eq!(per_app(&got), both(3, 1));
    release(&s, &got, now).await;

    // At its share: blocked wholesale, like an excluded endpoint.
    let got = s.claim_due(room(0)).await.unwrap();
    assert_eq!(per_app(&got), BTreeMap::from([(small.id.clone(), 1)]));
    release(&s, &got, now).await;

    // Room is never more than the share.
    let got = s.claim_due(room(500)).await.unwrap();
    assert_eq!(per_app(&got), both(10, 1));
}
