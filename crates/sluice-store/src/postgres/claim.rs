//! Claiming due deliveries, and the earliest due time, with many nodes on one queue.
//!
//! A claim is one short transaction. It first takes a fixed advisory lock
//! (`pg_advisory_xact_lock`), so claims of all nodes run one at a time and each counts the
//! leases of the claims before it: the bounds hold for the cluster, not per node. Then, as
//! in the SQLite backend:
//! - the fast path reads a bounded window at the head of `delivery_due`, oldest due first;
//! - when that window is exhausted without filling the claim (one blocked endpoint's
//!   backlog fills it), the slow path finds the endpoints with queued work by a loose index
//!   scan of `delivery_endpoint_due` (one seek each) and reads each open endpoint's oldest
//!   due rows with one seek each, so a claim never costs O(backlog).
//!
//! Bounds: excluded and disabled endpoints get nothing; an application takes at most its
//! room (`per_app`, `app_room`: the caller's share, as in SQLite). An endpoint takes at most
//! `per_endpoint` per claim and, counted across nodes, at most `per_endpoint` minus its
//! deliveries in flight (`Sending` under an unexpired lease). The one exception is a node
//! that alone holds an endpoint's leases: its own leases do not shrink its claims, since
//! its dispatcher bounds them (it queues up to a few claims per endpoint behind its
//! sends, and excludes the endpoint beyond). So while two nodes or more hold leases of an
//! endpoint, they hold at most `per_endpoint` in all, and a node that holds them alone
//! sends at most its own send cap. Which node holds a lease is read from the lease itself:
//! its high bits are the node's tag ([`Leases`]), the low 40 bits are random.
//!
//! The chosen rows are leased in one statement that locks them `FOR UPDATE SKIP LOCKED`:
//! a row that an outcome or a resend is writing is skipped, not waited for. Their messages
//! and endpoints are then read in two pipelined statements.

mod picker;

use std::collections::HashMap;

use sluice_core::model::Delivery;
use sluice_core::queue::{ClaimRequest, Claimed};
use sluice_core::Millis;

use super::control::{control_at, write_reservations, Reservation};
use super::db::{exec, query};
use super::errors::pg;
use super::queries::{delivery, endpoint, message};
use super::rows::{col, delivery_at, endpoint_at, message_at};
use super::PgStore;
use crate::commits::{self, Op};
use crate::StoreResult;

/// The advisory lock key of claims ("slucl", for sluice claims, in ASCII).
const CLAIM_LOCK_KEY: i64 = 0x0073_6c75_636c;
/// Bits of a lease token that are random; the bits above are the node's tag.
const RANDOM_BITS: u32 = 40;
/// Bits of a node's tag (so that tags and tokens stay positive).
const TAG_BITS: u32 = 22;

/// The lease tokens one node hands out: `tag << 40 | random`. Two nodes share a tag with
/// probability 2⁻²² per pair; they are then counted as one node, which only loosens the
/// cross-node bound between those two.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Leases {
    tag: i64,
}

impl Leases {
    /// A random tag for a node that is connecting.
    pub(crate) fn random() -> Self {
        Self {
            tag: i64::from(rand::random::<u32>() >> (32 - TAG_BITS)),
        }
    }

    /// A fresh fencing token of this node.
    fn token(self) -> i64 {
        (self.tag << RANDOM_BITS) | (rand::random::<i64>() & ((1 << RANDOM_BITS) - 1))
    }

    /// The tokens of this node: `[lo, hi)`.
    fn range(self) -> (i64, i64) {
        (self.tag << RANDOM_BITS, (self.tag + 1) << RANDOM_BITS)
    }
}

/// Leases up to `req.limit` due deliveries (see the module docs for how they are chosen).
pub(super) async fn claim_due(s: &PgStore, req: ClaimRequest) -> StoreResult<Vec<Claimed>> {
    if req.limit == 0 || req.per_endpoint == 0 || req.per_app == 0 {
        return Ok(Vec::new());
    }
    let mut c = s.client().await?;
    let started = std::time::Instant::now();
    let tx = c.transaction().await.map_err(pg)?;
    exec(&tx, &delivery::CLAIM_LOCK, &[&CLAIM_LOCK_KEY]).await?;
    let mut picker = picker::Picker::new(&req, s.leases);
    let window = req.limit.saturating_mul(4).max(64);
    let read = picker.scan_head(&tx, window).await?;
    if !picker.full() && read == window {
        picker.scan_endpoints(&tx).await?;
    }
    let picked = reserve(&tx, &req, &mut picker).await?;
    let claimed = lease(&tx, &req, s.leases, picked).await?;
    tx.commit().await.map_err(pg)?;
    commits::record(Op::Claim, started.elapsed(), claimed.len());
    Ok(claimed)
}

/// Reserves the send times of the picked deliveries of throttled endpoints and marks
/// probes, in one write; returns the picked deliveries with their `not_before`, in pick
/// order.
async fn reserve(
    tx: &deadpool_postgres::Transaction<'_>,
    req: &ClaimRequest,
    picker: &mut picker::Picker<'_>,
) -> StoreResult<Vec<(String, Millis)>> {
    let mut times: HashMap<String, std::vec::IntoIter<Millis>> = HashMap::new();
    let mut writes = Vec::new();
    for (ep, &n) in &picker.counts {
        let Some(Some(open)) = picker.known.get_mut(ep) else {
            continue;
        };
        if open.rate.is_none() && !open.probe {
            continue;
        }
        let at = open
            .control
            .reserve(n, open.rate, open.probe, req.now, req.lease_ms);
        writes.push(Reservation {
            endpoint_id: ep.clone(),
            next_send_at: open.control.next_send_at,
            probe: open.probe.then_some(open.control.open_until),
        });
        times.insert(ep.clone(), at.into_iter());
    }
    write_reservations(tx, writes).await?;
    Ok(std::mem::take(&mut picker.picked)
        .into_iter()
        .map(|(id, ep)| {
            let at = times.get_mut(&ep).and_then(Iterator::next);
            (id, at.unwrap_or(req.now))
        })
        .collect())
}

/// Moves the chosen deliveries to `Sending` under fresh leases and loads what sending
/// needs; deliveries that can never be sent fail without a try.
async fn lease(
    tx: &deadpool_postgres::Transaction<'_>,
    req: &ClaimRequest,
    leases: Leases,
    picked: Vec<(String, Millis)>,
) -> StoreResult<Vec<Claimed>> {
    if picked.is_empty() {
        return Ok(Vec::new());
    }
    let not_before: HashMap<String, Millis> = picked.iter().cloned().collect();
    let ids: Vec<String> = picked.into_iter().map(|(id, _)| id).collect();
    // The lease runs from the reserved send time.
    let expires: Vec<i64> = ids
        .iter()
        .map(|id| not_before[id].saturating_add(req.lease_ms))
        .collect();
    let tokens: Vec<i64> = ids.iter().map(|_| leases.token()).collect();
    let rows = query(tx, &delivery::LEASE, &[&ids, &tokens, &expires, &req.now]).await?;
    let mut leased: Vec<(Delivery, i64)> = Vec::with_capacity(rows.len());
    for r in &rows {
        leased.push((delivery_at(r, 0)?, col(r, 10)?));
    }
    // Oldest first, as chosen.
    let order: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    leased.sort_by_key(|(d, _)| order.get(d.id.as_str()).copied().unwrap_or(usize::MAX));

    let mut msg_ids: Vec<&str> = leased.iter().map(|(d, _)| d.msg_id.as_str()).collect();
    let mut ep_ids: Vec<&str> = leased.iter().map(|(d, _)| d.endpoint_id.as_str()).collect();
    for v in [&mut msg_ids, &mut ep_ids] {
        v.sort_unstable();
        v.dedup();
    }
    let (msg_param, ep_param): (
        [&(dyn tokio_postgres::types::ToSql + Sync); 1],
        [&(dyn tokio_postgres::types::ToSql + Sync); 1],
    ) = ([&msg_ids], [&ep_ids]);
    let (msg_rows, ep_rows) = futures::try_join!(
        query(tx, &message::BY_IDS, &msg_param),
        query(tx, &endpoint::BY_IDS, &ep_param),
    )?;
    let mut messages = HashMap::with_capacity(msg_rows.len());
    for r in &msg_rows {
        let m = message_at(r, 0)?;
        messages.insert(m.id.clone(), m);
    }
    let mut endpoints = HashMap::with_capacity(ep_rows.len());
    for r in &ep_rows {
        let e = endpoint_at(r, 0)?;
        endpoints.insert(e.id.clone(), e);
    }

    let mut out = Vec::with_capacity(leased.len());
    let mut unsendable: Vec<String> = Vec::new();
    for (delivery, lease) in leased {
        let message = messages.get(&delivery.msg_id);
        let endpoint = endpoints.get(&delivery.endpoint_id);
        match (message, endpoint) {
            // Expunged while this delivery waited for a retry: nothing is left to send.
            (Some(message), Some(_)) if message.expunged_at.is_some() => {
                tracing::debug!(delivery_id = %delivery.id, "payload expunged; delivery failed without a try");
                unsendable.push(delivery.id);
            }
            (Some(message), Some(endpoint)) => out.push(Claimed {
                message: message.clone(),
                endpoint: endpoint.clone(),
                not_before: not_before.get(&delivery.id).copied().unwrap_or(req.now),
                delivery,
                lease,
            }),
            _ => {
                tracing::warn!(delivery_id = %delivery.id, "delivery without message or endpoint; marking it failed");
                unsendable.push(delivery.id);
            }
        }
    }
    if !unsendable.is_empty() {
        exec(tx, &delivery::FAIL_UNSENDABLE, &[&unsendable, &req.now]).await?;
    }
    Ok(out)
}

/// Earliest time an unfinished delivery of an enabled endpoint may be claimed: its
/// `next_attempt_at`, or later while its endpoint's delivery control holds it. Reads a few
/// rows at the head of the due index; if those do not settle it (all of disabled endpoints,
/// or some held), falls back to one seek per endpoint with queued work, as the claim does.
pub(super) async fn next_due_at(s: &PgStore) -> StoreResult<Option<Millis>> {
    const HEAD: i64 = 64;
    let c = s.client().await?;
    let rows = query(&c, &delivery::UNFINISHED_HEAD, &[&HEAD]).await?;
    let mut head: Vec<(i64, String)> = Vec::with_capacity(rows.len());
    for r in &rows {
        head.push((col(r, 0)?, col(r, 1)?));
    }
    let (earliest, settled) = earliest_enabled(&c, &head).await?;
    if settled || head.len() < HEAD as usize {
        return Ok(earliest);
    }
    let rows = query(&c, &delivery::ENDPOINT_HEADS, &[]).await?;
    let mut heads: Vec<(i64, String)> = Vec::with_capacity(rows.len());
    for r in &rows {
        heads.push((col(r, 1)?, col(r, 0)?));
    }
    Ok(earliest_enabled(&c, &heads).await?.0)
}

/// The earliest time a delivery of `times` may be claimed, counting only endpoints that
/// exist and are enabled and delaying those their control state holds; and whether some
/// delivery was not held (so no later row can be claimable earlier).
async fn earliest_enabled(
    c: &deadpool_postgres::Object,
    times: &[(i64, String)],
) -> StoreResult<(Option<i64>, bool)> {
    if times.is_empty() {
        return Ok((None, false));
    }
    let mut eps: Vec<&str> = times.iter().map(|(_, ep)| ep.as_str()).collect();
    eps.sort_unstable();
    eps.dedup();
    let rows = query(c, &endpoint::ENABLED_OF, &[&eps]).await?;
    let mut available: HashMap<String, i64> = HashMap::with_capacity(rows.len());
    for r in &rows {
        let rate = col::<Option<i64>>(r, 1)?
            .and_then(|r| u32::try_from(r).ok())
            .filter(|r| *r > 0);
        available.insert(col(r, 0)?, control_at(r, 2)?.available_from(rate));
    }
    let (mut earliest, mut settled) = (None::<i64>, false);
    for (at, ep) in times {
        if let Some(from) = available.get(ep) {
            let t = (*at).max(*from);
            settled |= t == *at;
            earliest = Some(earliest.map_or(t, |e| e.min(t)));
        }
    }
    Ok((earliest, settled))
}
