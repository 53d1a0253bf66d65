//! One ingest batch as one transaction of set-based statements: the round trips are the
//! same for one message as for hundreds.
//!
//! 1. The batch's dedupe keys are inserted at once (`ON CONFLICT DO NOTHING RETURNING`); a
//!    job whose key is not returned was seen before. Pipelined with it, the candidate
//!    endpoints of every app in the batch are read once (the fan-out is matched in Rust).
//! 2. The messages are inserted at once, `ON CONFLICT DO NOTHING RETURNING id`: a message
//!    not returned has a taken event id (also when another message of the same batch took
//!    it), and gets no deliveries.
//! 3. Deliveries and tags are inserted at once each, pipelined; then the commit, then this
//!    node's own dispatcher is woken and, through the notifier, the other nodes (outside
//!    the transaction, so commits never queue on the notification lock).
//!
//! Rows are inserted in key order (dedupe keys by source and key, messages by app and
//! event id), so two batches racing for the same keys wait for each other in one order and
//! cannot deadlock.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::{Pool, Transaction};
use futures::future::try_join_all;
use sluice_core::filter::endpoint_matches;
use sluice_core::ids;
use sluice_core::model::Message;

use super::{Fate, Job, Kind, Wake};
use crate::commits::{self, Op};
use crate::postgres::db::{self, query};
use crate::postgres::errors::{pg, pool as pool_err};
use crate::postgres::queries::{delivery, endpoint, inbound_dedupe, message, message_tag};
use crate::postgres::rows::{backend, col, inbound_cols, opt_json};
use crate::{ConflictKind, StoreResult};

/// A candidate endpoint of the fan-out.
struct Candidate {
    id: String,
    app_id: String,
    disabled: bool,
    types: Option<Vec<String>>,
    channels: Option<Vec<String>>,
}

impl Candidate {
    fn accepts(&self, msg: &Message) -> bool {
        !self.disabled
            && endpoint_matches(
                self.types.as_deref(),
                self.channels.as_deref(),
                &msg.event_type,
                msg.channels.as_deref(),
            )
    }
}

/// Writes and commits `jobs`; one fate per job, in order.
pub(super) async fn run(pool: &Pool, wake: &Wake, jobs: &[Job]) -> StoreResult<Vec<Fate>> {
    let mut c = pool.get().await.map_err(pool_err)?;
    let started = std::time::Instant::now();
    let tx = c.transaction().await.map_err(pg)?;
    let (fates, woke) = write(&tx, jobs).await?;
    tx.commit().await.map_err(pg)?;
    commits::record(Op::Ingest, started.elapsed(), jobs.len());
    if woke {
        wake.work.notify_one();
        wake.cluster.committed_work();
    }
    Ok(fates)
}

/// The batch's rows; also whether it created deliveries.
async fn write(tx: &Transaction<'_>, jobs: &[Job]) -> StoreResult<(Vec<Fate>, bool)> {
    let mut fates: Vec<Option<Fate>> = vec![None; jobs.len()];
    let (fresh_keys, candidates) = futures::try_join!(dedupe(tx, jobs), candidates(tx, jobs))?;
    for (i, fresh) in fresh_keys.into_iter().enumerate() {
        if !fresh {
            fates[i] = Some(Fate::Seen);
        }
    }

    // `only_endpoint` must name an endpoint of the message's own app.
    let by_id: HashMap<&str, &Candidate> = candidates.iter().map(|c| (c.id.as_str(), c)).collect();
    for (i, job) in jobs.iter().enumerate() {
        if let Kind::Publish { only: Some(ep) } = &job.kind {
            if by_id
                .get(ep.as_str())
                .is_none_or(|c| c.app_id != job.msg.app_id)
            {
                fates[i].get_or_insert(Fate::NotFound);
            }
        }
    }

    let live: Vec<usize> = (0..jobs.len()).filter(|&i| fates[i].is_none()).collect();
    let inserted = insert_messages(tx, jobs, &live).await?;
    let mut by_app: HashMap<&str, Vec<&Candidate>> = HashMap::new();
    for c in &candidates {
        by_app.entry(c.app_id.as_str()).or_default().push(c);
    }
    let mut rows = Rows::default();
    for i in live {
        let job = &jobs[i];
        let msg = &job.msg;
        if !inserted[i] {
            let kind = if msg.event_id.is_some() {
                ConflictKind::MessageEventId
            } else {
                ConflictKind::Id
            };
            fates[i] = Some(Fate::Taken(kind));
            continue;
        }
        let targets: Vec<&str> = match &job.kind {
            Kind::Publish { only: Some(ep) } => vec![ep.as_str()],
            _ => by_app
                .get(msg.app_id.as_str())
                .map(|cs| cs.iter().filter(|c| c.accepts(msg)).map(|c| c.id.as_str()))
                .into_iter()
                .flatten()
                .collect(),
        };
        rows.add(job, &targets);
        fates[i] = Some(Fate::Created(targets.len()));
    }
    rows.insert(tx).await?;
    let fates = fates
        .into_iter()
        .map(|f| f.ok_or_else(|| backend("ingest job without a fate")))
        .collect::<StoreResult<_>>()?;
    Ok((fates, !rows.ids.is_empty()))
}

/// Inserts the dedupe keys of the batch's inbound jobs; per job, false if its key was seen.
async fn dedupe(tx: &Transaction<'_>, jobs: &[Job]) -> StoreResult<Vec<bool>> {
    let mut keyed: Vec<(&str, &str, usize)> = jobs
        .iter()
        .enumerate()
        .filter_map(|(i, j)| match &j.kind {
            Kind::Inbound {
                source_id,
                key: Some(key),
            } => Some((source_id.as_str(), key.as_str(), i)),
            _ => None,
        })
        .collect();
    let mut fresh = vec![true; jobs.len()];
    if keyed.is_empty() {
        return Ok(fresh);
    }
    keyed.sort();
    let sources: Vec<&str> = keyed.iter().map(|k| k.0).collect();
    let keys: Vec<&str> = keyed.iter().map(|k| k.1).collect();
    let times: Vec<i64> = keyed.iter().map(|k| jobs[k.2].now).collect();
    let got = query(tx, &inbound_dedupe::INSERT, &[&sources, &keys, &times]).await?;
    let mut new: HashSet<(String, String)> = HashSet::with_capacity(got.len());
    for r in &got {
        new.insert((col(r, 0)?, col(r, 1)?));
    }
    // The first job with a new key has it; any later job of the batch with the same key is
    // a duplicate of that one.
    for (source, key, i) in keyed {
        fresh[i] = new.remove(&(source.to_string(), key.to_string()));
    }
    Ok(fresh)
}

/// The enabled endpoints of every app in the batch, and the `only_endpoint` targets.
async fn candidates(tx: &Transaction<'_>, jobs: &[Job]) -> StoreResult<Vec<Candidate>> {
    let mut apps: Vec<&str> = jobs.iter().map(|j| j.msg.app_id.as_str()).collect();
    apps.sort_unstable();
    apps.dedup();
    let only: Vec<&str> = jobs
        .iter()
        .filter_map(|j| match &j.kind {
            Kind::Publish { only: Some(ep) } => Some(ep.as_str()),
            _ => None,
        })
        .collect();
    let rows = query(tx, &endpoint::ENABLED_FILTERS, &[&apps, &only]).await?;
    rows.iter()
        .map(|r| {
            Ok(Candidate {
                id: col(r, 0)?,
                app_id: col(r, 1)?,
                disabled: col(r, 2)?,
                types: parse_list(col(r, 3)?)?,
                channels: parse_list(col(r, 4)?)?,
            })
        })
        .collect()
}

fn parse_list(text: Option<String>) -> StoreResult<Option<Vec<String>>> {
    text.map(|t| serde_json::from_str(&t).map_err(backend))
        .transpose()
}

/// Inserts the messages of the jobs `live`; per job of the batch, whether its message went in.
async fn insert_messages(
    tx: &Transaction<'_>,
    jobs: &[Job],
    live: &[usize],
) -> StoreResult<Vec<bool>> {
    let mut inserted = vec![false; jobs.len()];
    if live.is_empty() {
        return Ok(inserted);
    }
    let mut order: Vec<usize> = live.to_vec();
    order.sort_by(|&a, &b| {
        let (x, y) = (&jobs[a].msg, &jobs[b].msg);
        (&x.app_id, &x.event_id, a).cmp(&(&y.app_id, &y.event_id, b))
    });
    let msgs: Vec<&Message> = order.iter().map(|&i| &jobs[i].msg).collect();
    let mut inbound = (Vec::new(), Vec::new());
    let (mut channels, mut tags) = (Vec::new(), Vec::new());
    for m in &msgs {
        let (ct, headers) = inbound_cols(m)?;
        inbound.0.push(ct);
        inbound.1.push(headers);
        channels.push(opt_json(&m.channels)?);
        tags.push(opt_json(&m.tags)?);
    }
    let ids: Vec<&str> = msgs.iter().map(|m| m.id.as_str()).collect();
    let apps: Vec<&str> = msgs.iter().map(|m| m.app_id.as_str()).collect();
    let types: Vec<&str> = msgs.iter().map(|m| m.event_type.as_str()).collect();
    let event_ids: Vec<Option<&str>> = msgs.iter().map(|m| m.event_id.as_deref()).collect();
    let payloads: Vec<&str> = msgs.iter().map(|m| m.payload.as_str()).collect();
    let created: Vec<i64> = msgs.iter().map(|m| m.created_at).collect();
    let deliver_at: Vec<Option<i64>> = msgs.iter().map(|m| m.deliver_at).collect();
    let expires: Vec<Option<i64>> = msgs.iter().map(|m| m.payload_expires_at).collect();
    let traces: Vec<Option<&str>> = msgs.iter().map(|m| m.trace_context.as_deref()).collect();
    let got = query(
        tx,
        &message::INSERT,
        &[
            &ids,
            &apps,
            &types,
            &event_ids,
            &channels,
            &payloads,
            &created,
            &inbound.0,
            &inbound.1,
            &tags,
            &deliver_at,
            &expires,
            &traces,
        ],
    )
    .await?;
    let mut new: HashSet<String> = HashSet::with_capacity(got.len());
    for r in &got {
        new.insert(col(r, 0)?);
    }
    for i in order {
        inserted[i] = new.remove(&jobs[i].msg.id);
    }
    Ok(inserted)
}

/// The delivery and tag rows of the batch, one array per column.
#[derive(Default)]
struct Rows {
    ids: Vec<String>,
    msgs: Vec<String>,
    endpoints: Vec<String>,
    apps: Vec<String>,
    created: Vec<i64>,
    due: Vec<i64>,
    tag_apps: Vec<String>,
    tags: Vec<String>,
    tag_msgs: Vec<String>,
}

impl Rows {
    /// The deliveries of `job`'s message to `targets`, due at once or at its `deliver_at`
    /// if that is later, and its tags.
    fn add(&mut self, job: &Job, targets: &[&str]) {
        let msg = &job.msg;
        let due = msg.deliver_at.map_or(job.now, |at| at.max(job.now));
        for ep in targets {
            self.ids.push(ids::new_id(ids::DELIVERY, job.now));
            self.msgs.push(msg.id.clone());
            self.endpoints.push((*ep).to_string());
            self.apps.push(msg.app_id.clone());
            self.created.push(job.now);
            self.due.push(due);
        }
        for tag in msg.tags.iter().flatten() {
            self.tag_apps.push(msg.app_id.clone());
            self.tags.push(tag.clone());
            self.tag_msgs.push(msg.id.clone());
        }
    }

    /// Inserts the rows (pipelined).
    async fn insert(&self, tx: &Transaction<'_>) -> StoreResult<()> {
        let mut writes: Vec<futures::future::BoxFuture<'_, StoreResult<()>>> = Vec::new();
        if !self.ids.is_empty() {
            writes.push(Box::pin(async {
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] = [
                    &self.ids,
                    &self.msgs,
                    &self.endpoints,
                    &self.apps,
                    &self.created,
                    &self.due,
                ];
                db::exec(tx, &delivery::INSERT_BATCH, &params)
                    .await
                    .map(drop)
            }));
        }
        if !self.tags.is_empty() {
            writes.push(Box::pin(async {
                db::exec(
                    tx,
                    &message_tag::INSERT,
                    &[&self.tag_apps, &self.tags, &self.tag_msgs],
                )
                .await
                .map(drop)
            }));
        }
        try_join_all(writes).await.map(drop)
    }
}
