//! Choosing the deliveries of one claim within its bounds (see [`super`] for the rules).

use std::collections::{HashMap, HashSet};

use deadpool_postgres::Transaction;
use sluice_core::queue::ClaimRequest;

use sluice_core::control::{Admission, EndpointControl, Hold};

use super::Leases;
use crate::postgres::control::control_at;
use crate::postgres::db::query;
use crate::postgres::queries::{delivery, endpoint};
use crate::postgres::rows::col;
use crate::StoreResult;

/// What the claim knows of an endpoint it may send to.
pub(super) struct Open {
    app_id: String,
    /// Deliveries it may get from this claim, before counting the ones picked.
    room: usize,
    /// Its effective throttle rate.
    pub(super) rate: Option<u32>,
    /// Its delivery control state as read.
    pub(super) control: EndpointControl,
    /// This claim takes its circuit's probe.
    pub(super) probe: bool,
}

/// The deliveries chosen so far, with per-endpoint and per-application counts.
pub(super) struct Picker<'a> {
    req: &'a ClaimRequest,
    leases: Leases,
    excluded: HashSet<&'a str>,
    /// Endpoint id → what it may take, or `None` if excluded, disabled, gone or held.
    pub(super) known: HashMap<String, Option<Open>>,
    /// Endpoints held by their delivery control, and why.
    held: HashMap<String, Hold>,
    pub(super) counts: HashMap<String, usize>,
    app_counts: HashMap<String, usize>,
    /// (delivery, endpoint), in pick order.
    pub(super) picked: Vec<(String, String)>,
    seen: HashSet<String>,
}

impl<'a> Picker<'a> {
    pub(super) fn new(req: &'a ClaimRequest, leases: Leases) -> Self {
        Self {
            req,
            leases,
            excluded: req.exclude_endpoints.iter().map(String::as_str).collect(),
            known: HashMap::new(),
            held: HashMap::new(),
            counts: HashMap::new(),
            app_counts: HashMap::new(),
            picked: Vec::new(),
            seen: HashSet::new(),
        }
    }

    pub(super) fn full(&self) -> bool {
        self.picked.len() >= self.req.limit
    }

    /// Reads, in one statement, the application, the disabled flag and the deliveries in
    /// flight of the endpoints among `ids` that the claim has not looked at yet.
    async fn learn(&mut self, tx: &Transaction<'_>, ids: &[&str]) -> StoreResult<()> {
        let mut unknown: Vec<&str> = Vec::new();
        for &id in ids {
            if self.known.contains_key(id) {
                continue;
            }
            if self.excluded.contains(id) {
                self.known.insert(id.to_string(), None);
            } else {
                unknown.push(id);
            }
        }
        if unknown.is_empty() {
            return Ok(());
        }
        unknown.sort_unstable();
        unknown.dedup();
        let (own_lo, own_hi) = self.leases.range();
        let rows = query(
            tx,
            &endpoint::CLAIM_INFO,
            &[&unknown, &self.req.now, &own_lo, &own_hi],
        )
        .await?;
        // An endpoint that is gone is never sendable.
        for id in &unknown {
            self.known.insert((*id).to_string(), None);
        }
        let per = self.req.per_endpoint;
        for r in &rows {
            let (id, app_id, disabled): (String, String, bool) =
                (col(r, 0)?, col(r, 1)?, col(r, 2)?);
            let total = usize::try_from(col::<i64>(r, 3)?).unwrap_or(usize::MAX);
            let own = usize::try_from(col::<i64>(r, 4)?).unwrap_or(0);
            // Other nodes' leases count against the bound. This node's own leases are
            // bounded by its dispatcher, which queues a few claims behind its sends, so
            // while no other node holds any, they do not shrink this claim.
            let room = if total <= own {
                per
            } else {
                per.saturating_sub(total)
            };
            let rate = col::<Option<i64>>(r, 5)?
                .and_then(|r| u32::try_from(r).ok())
                .filter(|r| *r > 0);
            let control = control_at(r, 6)?;
            let open = match (disabled, control.admit(rate, self.req.now)) {
                (true, _) => None,
                (false, Admission::Held { by, .. }) => {
                    self.held.insert(id.clone(), by);
                    None
                }
                (false, Admission::Open { max, probe }) => Some(Open {
                    app_id,
                    room: room.min(max),
                    rate,
                    control,
                    probe,
                }),
            };
            self.known.insert(id, open);
        }
        Ok(())
    }

    fn room(&self, endpoint_id: &str) -> usize {
        let Some(Some(open)) = self.known.get(endpoint_id) else {
            return 0;
        };
        let used = self.counts.get(endpoint_id).copied().unwrap_or(0);
        open.room.saturating_sub(used)
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

    /// How many more the endpoint may take now, counting its application's room too.
    fn open(&self, endpoint_id: &str) -> usize {
        match self.known.get(endpoint_id) {
            Some(Some(open)) => self.room(endpoint_id).min(self.app_room(&open.app_id)),
            _ => 0,
        }
    }

    /// Counts a due delivery that its endpoint's control state holds back.
    fn count_held(&self, endpoint_id: &str) {
        if let Some(by) = self.held.get(endpoint_id) {
            metrics::counter!("sluice_throttled_waits_total", "by" => by.as_str()).increment(1);
        }
    }

    fn offer(&mut self, id: String, endpoint_id: &str) {
        if self.full() || self.seen.contains(&id) {
            return;
        }
        if self.open(endpoint_id) == 0 {
            self.count_held(endpoint_id);
            return;
        }
        let Some(Some(open)) = self.known.get(endpoint_id) else {
            return;
        };
        *self.app_counts.entry(open.app_id.clone()).or_default() += 1;
        *self.counts.entry(endpoint_id.to_string()).or_default() += 1;
        self.seen.insert(id.clone());
        self.picked.push((id, endpoint_id.to_string()));
    }

    /// Fast path: the oldest `window` due rows. Returns how many rows were read.
    pub(super) async fn scan_head(
        &mut self,
        tx: &Transaction<'_>,
        window: usize,
    ) -> StoreResult<usize> {
        let limit = i64::try_from(window).unwrap_or(i64::MAX);
        let rows = query(tx, &delivery::DUE_WINDOW, &[&self.req.now, &limit]).await?;
        let mut due: Vec<(String, String)> = Vec::with_capacity(rows.len());
        for r in &rows {
            due.push((col(r, 0)?, col(r, 1)?));
        }
        let eps: Vec<&str> = due.iter().map(|(_, ep)| ep.as_str()).collect();
        self.learn(tx, &eps).await?;
        for (id, ep) in due {
            self.offer(id, &ep);
            if self.full() {
                break;
            }
        }
        Ok(rows.len())
    }

    /// Slow path: every endpoint with due work that may take more, oldest head first,
    /// read a few endpoints at a time (as many as could fill the rest of the claim).
    pub(super) async fn scan_endpoints(&mut self, tx: &Transaction<'_>) -> StoreResult<()> {
        let now = self.req.now;
        let rows = query(tx, &delivery::ENDPOINT_HEADS, &[]).await?;
        let mut heads: Vec<(i64, String)> = Vec::new();
        for r in &rows {
            let head: i64 = col(r, 1)?;
            if head <= now {
                heads.push((head, col(r, 0)?));
            }
        }
        let eps: Vec<&str> = heads.iter().map(|(_, ep)| ep.as_str()).collect();
        self.learn(tx, &eps).await?;
        for (_, ep) in &heads {
            self.count_held(ep);
        }
        heads.retain(|(_, ep)| self.open(ep) > 0);
        heads.sort();
        let heads: Vec<String> = heads.into_iter().map(|(_, ep)| ep).collect();
        let mut next = 0;
        while !self.full() && next < heads.len() {
            let left = self.req.limit - self.picked.len();
            let (mut chunk, mut wants, mut potential) = (Vec::new(), Vec::new(), 0usize);
            while potential < left && next < heads.len() {
                let ep = heads[next].as_str();
                next += 1;
                let room = self.open(ep).min(left);
                if room == 0 {
                    continue;
                }
                potential += room;
                // Rows already taken by the fast path come first again; read past them.
                let already = self.counts.get(ep).copied().unwrap_or(0);
                chunk.push(ep);
                wants.push(i64::try_from(room + already).unwrap_or(i64::MAX));
            }
            if chunk.is_empty() {
                continue;
            }
            let rows = query(tx, &delivery::DUE_OF_ENDPOINTS, &[&chunk, &wants, &now]).await?;
            let mut of: HashMap<String, Vec<String>> = HashMap::new();
            for r in &rows {
                of.entry(col(r, 1)?).or_default().push(col(r, 0)?);
            }
            for ep in chunk {
                for id in of.remove(ep).into_iter().flatten() {
                    self.offer(id, ep);
                }
            }
        }
        Ok(())
    }
}
