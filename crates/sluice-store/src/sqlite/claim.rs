//! Claiming due deliveries (the earliest due time is [`super::next_due`]).
//!
//! Due work is found through two partial indexes that hold only unfinished rows:
//! `delivery_due (next_attempt_at)` and `delivery_endpoint_due (endpoint_id,
//! next_attempt_at)`. The fast path reads a bounded window at the head of the first, oldest
//! due first. That window can be filled by one blocked endpoint (disabled, excluded by the
//! caller, or at its per-endpoint bound) whose backlog sorts before everyone else's; reading
//! on through that backlog would cost O(backlog) and stopping would starve every other
//! endpoint. So when the window is exhausted without filling the batch, the claim steps
//! through the second index one endpoint at a time (one seek each, skipping blocked
//! endpoints wholesale) and serves the unblocked endpoints oldest head first. Either way the
//! cost is bounded by the batch and the number of endpoints with queued work, never by the
//! number of queued deliveries.
//!
//! The caller's share of each application bounds the claim as well (`per_app`, `app_room`):
//! an application at its share is blocked like an excluded endpoint (all its endpoints
//! skipped wholesale), and one with room takes no more of a claim than that room. So one
//! tenant's backlog, however large and old, takes at most its room of a claim; the rest of
//! the claim goes to the other tenants' due work, reached through the second index when the
//! head window holds only the first tenant's rows.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection, OptionalExtension};
use sluice_core::control::{Admission, EndpointControl, Hold};
use sluice_core::queue::{ClaimRequest, Claimed};

use super::control::{control_at, write_control};
use super::db::{exec, prepare, query_opt};
use super::endpoints::endpoint_by_id;
use super::messages::message_by_id;
use super::queries::{delivery, endpoint};
use super::rows::{backend, delivery_at};
use crate::StoreResult;

/// What the claim knows of an endpoint it may send to.
struct Open {
    app_id: String,
    rate: Option<u32>,
    control: EndpointControl,
    /// Most deliveries its control state admits in this claim.
    max: usize,
    probe: bool,
}

/// Says whether an endpoint may be sent to, its application and what its delivery control
/// admits, caching the answer for one operation.
struct Gate<'a> {
    now: i64,
    excluded: HashSet<&'a str>,
    /// Endpoint id → what it may take, or `None` when it cannot be sent to.
    known: HashMap<String, Option<Open>>,
    /// Endpoint id → when its control state lets it take work again (held endpoints).
    held: HashMap<String, (Hold, i64)>,
}

impl<'a> Gate<'a> {
    fn new(excluded: &'a [String], now: i64) -> Self {
        Self {
            now,
            excluded: excluded.iter().map(String::as_str).collect(),
            known: HashMap::new(),
            held: HashMap::new(),
        }
    }

    /// What the endpoint may take, or `None` if it is excluded, disabled, gone or held by
    /// its delivery control.
    fn open(&mut self, c: &Connection, endpoint_id: &str) -> StoreResult<Option<&mut Open>> {
        if self.excluded.contains(endpoint_id) {
            return Ok(None);
        }
        if !self.known.contains_key(endpoint_id) {
            let row = query_opt(c, &endpoint::GATE, [endpoint_id], |r| {
                Ok((
                    r.get::<_, bool>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    control_at(r, 3)?,
                ))
            })?;
            // A delivery whose endpoint is gone is never sendable.
            let open = match row {
                Some((false, app_id, rate, control)) => {
                    let rate = rate.and_then(|r| u32::try_from(r).ok()).filter(|r| *r > 0);
                    match control.admit(rate, self.now) {
                        Admission::Held { by, until } => {
                            self.held.insert(endpoint_id.to_string(), (by, until));
                            None
                        }
                        Admission::Open { max, probe } => Some(Open {
                            app_id,
                            rate,
                            control,
                            max,
                            probe,
                        }),
                    }
                }
                _ => None,
            };
            self.known.insert(endpoint_id.to_string(), open);
        }
        Ok(self.known.get_mut(endpoint_id).and_then(Option::as_mut))
    }

    fn app_of(&mut self, c: &Connection, endpoint_id: &str) -> StoreResult<Option<String>> {
        Ok(self.open(c, endpoint_id)?.map(|o| o.app_id.clone()))
    }

    /// Counts a due delivery that its endpoint's control state holds back.
    fn count_held(&self, endpoint_id: &str) {
        if let Some((by, _)) = self.held.get(endpoint_id) {
            metrics::counter!("sluice_throttled_waits_total", "by" => by.as_str()).increment(1);
        }
    }
}

/// Calls `f(endpoint_id, head)` for every endpoint with unfinished deliveries, where `head`
/// is its earliest `next_attempt_at`: one index seek per endpoint (a loose index scan).
pub(super) fn for_each_endpoint_head(
    c: &Connection,
    mut f: impl FnMut(&str, i64) -> StoreResult<()>,
) -> StoreResult<()> {
    let mut stmt = prepare(c, &delivery::NEXT_ENDPOINT_HEAD)?;
    let mut cursor = String::new();
    while let Some((ep, head)) = stmt
        .query_row([&cursor], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .optional()
        .map_err(backend)?
    {
        f(&ep, head)?;
        cursor = ep;
    }
    Ok(())
}

/// The deliveries chosen so far, with per-endpoint and per-application counts.
struct Picker<'a> {
    req: &'a ClaimRequest,
    gate: Gate<'a>,
    counts: HashMap<String, usize>,
    app_counts: HashMap<String, usize>,
    /// (delivery, endpoint), in pick order.
    picked: Vec<(String, String)>,
    seen: HashSet<String>,
}

impl<'a> Picker<'a> {
    fn full(&self) -> bool {
        self.picked.len() >= self.req.limit
    }

    fn room(&self, endpoint_id: &str) -> usize {
        let used = self.counts.get(endpoint_id).copied().unwrap_or(0);
        let admitted = match self.gate.known.get(endpoint_id) {
            Some(Some(open)) => open.max,
            _ => usize::MAX,
        };
        self.req.per_endpoint.min(admitted).saturating_sub(used)
    }

    fn app_room(&self, app_id: &str) -> usize {
        let allowed = self
            .req
            .app_room
            .get(app_id)
            .copied()
            .unwrap_or(self.req.per_app);
        let used = self.app_counts.get(app_id).copied().unwrap_or(0);
        allowed.min(self.req.per_app).saturating_sub(used)
    }

    /// The endpoint's application if the endpoint and its application may take more now.
    fn open_app(&mut self, c: &Connection, endpoint_id: &str) -> StoreResult<Option<String>> {
        if self.room(endpoint_id) == 0 {
            return Ok(None);
        }
        let Some(app) = self.gate.app_of(c, endpoint_id)? else {
            return Ok(None);
        };
        Ok((self.room(endpoint_id) > 0 && self.app_room(&app) > 0).then_some(app))
    }

    fn offer(&mut self, c: &Connection, id: String, endpoint_id: &str) -> StoreResult<()> {
        if self.full() || self.seen.contains(&id) {
            return Ok(());
        }
        let Some(app) = self.open_app(c, endpoint_id)? else {
            self.gate.count_held(endpoint_id);
            return Ok(());
        };
        *self.counts.entry(endpoint_id.to_string()).or_default() += 1;
        *self.app_counts.entry(app).or_default() += 1;
        self.seen.insert(id.clone());
        self.picked.push((id, endpoint_id.to_string()));
        Ok(())
    }

    /// Fast path: the oldest `window` due rows. Returns how many rows were read.
    fn scan_head(&mut self, c: &Connection, window: usize) -> StoreResult<usize> {
        let mut stmt = prepare(c, &delivery::DUE_WINDOW)?;
        let mut rows = stmt
            .query(params![self.req.now, window as i64])
            .map_err(backend)?;
        let mut read = 0;
        while let Some(row) = rows.next().map_err(backend)? {
            read += 1;
            let id: String = row.get(0).map_err(backend)?;
            let ep: String = row.get(1).map_err(backend)?;
            self.offer(c, id, &ep)?;
            if self.full() {
                break;
            }
        }
        Ok(read)
    }

    /// Slow path: every endpoint with due work that is not blocked, oldest head first.
    fn scan_endpoints(&mut self, c: &Connection) -> StoreResult<()> {
        let now = self.req.now;
        let mut heads: Vec<(i64, String)> = Vec::new();
        for_each_endpoint_head(c, |ep, head| {
            if head <= now {
                if self.open_app(c, ep)?.is_some() {
                    heads.push((head, ep.to_string()));
                } else {
                    self.gate.count_held(ep);
                }
            }
            Ok(())
        })?;
        heads.sort();
        let mut stmt = prepare(c, &delivery::DUE_OF_ENDPOINT)?;
        for (_, ep) in heads {
            if self.full() {
                break;
            }
            // Earlier endpoints of the same application may have used up its room.
            if self.open_app(c, &ep)?.is_none() {
                continue;
            }
            // Rows already taken by the fast path come first again; read past them.
            let already = self.counts.get(&ep).copied().unwrap_or(0);
            let want = (self.room(&ep) + already) as i64;
            let ids = stmt
                .query_map(params![ep, now, want], |r| r.get::<_, String>(0))
                .map_err(backend)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend)?;
            for id in ids {
                self.offer(c, id, &ep)?;
            }
        }
        Ok(())
    }
}

/// Leases up to `req.limit` due deliveries (see the module docs for how they are chosen).
pub(crate) fn claim_due(c: &Connection, req: &ClaimRequest) -> StoreResult<Vec<Claimed>> {
    if req.limit == 0 || req.per_endpoint == 0 || req.per_app == 0 {
        return Ok(Vec::new());
    }
    let mut picker = Picker {
        req,
        gate: Gate::new(&req.exclude_endpoints, req.now),
        counts: HashMap::new(),
        app_counts: HashMap::new(),
        picked: Vec::new(),
        seen: HashSet::new(),
    };
    let window = req.limit.saturating_mul(4).max(64);
    let read = picker.scan_head(c, window)?;
    if !picker.full() && read == window {
        picker.scan_endpoints(c)?;
    }
    let picked = reserve(c, req, &mut picker)?;
    lease(c, req, picked)
}

/// Reserves the send times of the picked deliveries of throttled endpoints and marks
/// probes, writing each such endpoint's state once; returns the picked deliveries with
/// their `not_before`, in pick order.
fn reserve(
    c: &Connection,
    req: &ClaimRequest,
    picker: &mut Picker<'_>,
) -> StoreResult<Vec<(String, i64)>> {
    let mut times: HashMap<String, std::vec::IntoIter<i64>> = HashMap::new();
    for (ep, &n) in &picker.counts {
        let Some(Some(open)) = picker.gate.known.get_mut(ep) else {
            continue;
        };
        if open.rate.is_none() && !open.probe {
            continue;
        }
        let at = open
            .control
            .reserve(n, open.rate, open.probe, req.now, req.lease_ms);
        write_control(c, ep, &open.control)?;
        times.insert(ep.clone(), at.into_iter());
    }
    Ok(std::mem::take(&mut picker.picked)
        .into_iter()
        .map(|(id, ep)| {
            let at = times.get_mut(&ep).and_then(Iterator::next);
            (id, at.unwrap_or(req.now))
        })
        .collect())
}

/// Moves the chosen deliveries to `Sending` under fresh leases and loads what sending needs.
fn lease(c: &Connection, req: &ClaimRequest, ids: Vec<(String, i64)>) -> StoreResult<Vec<Claimed>> {
    let mut update = prepare(c, &delivery::LEASE)?;
    let mut endpoints = HashMap::new();
    let mut out = Vec::with_capacity(ids.len());
    for (id, not_before) in ids {
        let lease: i64 = rand::random();
        // The lease runs from the reserved send time.
        let expires = not_before.saturating_add(req.lease_ms);
        let delivery = update
            .query_row(params![id, expires, lease, req.now], |r| delivery_at(r, 0))
            .map_err(backend)?;
        if !endpoints.contains_key(&delivery.endpoint_id) {
            let ep = endpoint_by_id(c, &delivery.endpoint_id)?;
            endpoints.insert(delivery.endpoint_id.clone(), ep);
        }
        let endpoint = endpoints.get(&delivery.endpoint_id).cloned().flatten();
        let message = message_by_id(c, &delivery.msg_id)?;
        match (message, endpoint) {
            // Expunged while this delivery waited for a retry: nothing is left to send.
            (Some(message), Some(_)) if message.expunged_at.is_some() => {
                tracing::debug!(delivery_id = %delivery.id, "payload expunged; delivery failed without a try");
                fail_unsendable(c, &delivery.id, req.now)?
            }
            (Some(message), Some(endpoint)) => out.push(Claimed {
                delivery,
                lease,
                message,
                endpoint,
                not_before,
            }),
            _ => {
                tracing::warn!(
                    delivery_id = %delivery.id,
                    "delivery without message or endpoint; marking it failed"
                );
                fail_unsendable(c, &delivery.id, req.now)?
            }
        }
    }
    Ok(out)
}

/// A delivery whose message or endpoint is missing, or whose payload was expunged, can
/// never be sent; failing it keeps it from being claimed forever.
fn fail_unsendable(c: &Connection, delivery_id: &str, now: i64) -> StoreResult<()> {
    exec(c, &delivery::FAIL_UNSENDABLE, params![delivery_id, now])?;
    Ok(())
}
