//! The earliest time due work may be claimed, for the dispatcher's idle sleep: a delivery's
//! `next_attempt_at`, or later while its endpoint's delivery control holds it. Reads the same
//! indexes as the claim (see [`super::claim`]), bounded the same way.

use std::collections::HashMap;

use rusqlite::Connection;

use super::claim::for_each_endpoint_head;
use super::control::control_at;
use super::db::{query_all, query_opt};
use super::queries::{delivery, endpoint};
use crate::StoreResult;

/// Earliest time an unfinished delivery of an enabled endpoint may be claimed: its
/// `next_attempt_at`, or later if its endpoint's delivery control holds it (open circuit,
/// pause, throttle). Reads a few rows at the head of the due index; if those do not settle
/// it (all of disabled endpoints, or some held), falls back to one seek per endpoint, as the
/// claim does.
pub(crate) fn next_due_at(c: &Connection) -> StoreResult<Option<i64>> {
    const HEAD: usize = 64;
    let mut known: HashMap<String, Option<i64>> = HashMap::new();
    // When the endpoint may take work (`None`: disabled or gone).
    let mut available = |c: &Connection, ep: &str| -> StoreResult<Option<i64>> {
        if let Some(a) = known.get(ep) {
            return Ok(*a);
        }
        let row = query_opt(c, &endpoint::GATE, [ep], |r| {
            Ok((
                r.get::<_, bool>(0)?,
                r.get::<_, Option<i64>>(2)?,
                control_at(r, 3)?,
            ))
        })?;
        let a = row.and_then(|(disabled, rate, control)| {
            let rate = rate.and_then(|r| u32::try_from(r).ok()).filter(|r| *r > 0);
            (!disabled).then(|| control.available_from(rate))
        });
        known.insert(ep.to_string(), a);
        Ok(a)
    };
    let head: Vec<(i64, String)> = query_all(c, &delivery::UNFINISHED_HEAD, [HEAD as i64], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    let mut earliest: Option<i64> = None;
    let mut settled = false;
    for (at, ep) in &head {
        if let Some(from) = available(c, ep)? {
            let t = (*at).max(from);
            earliest = Some(earliest.map_or(t, |e| e.min(t)));
            if t == *at {
                // Not held: no later row can be due earlier.
                settled = true;
                break;
            }
        }
    }
    if settled || head.len() < HEAD {
        return Ok(earliest);
    }
    for_each_endpoint_head(c, |ep, at| {
        if earliest.is_none_or(|e| at < e) {
            if let Some(from) = available(c, ep)? {
                let t = at.max(from);
                earliest = Some(earliest.map_or(t, |e| e.min(t)));
            }
        }
        Ok(())
    })?;
    Ok(earliest)
}
