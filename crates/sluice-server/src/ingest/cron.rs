//! Cron sources: a scheduler task emits each source's payload into the inbound pipeline on
//! its schedule (UTC).
//!
//! Exactly once per tick, even with several emitters (nodes, or a restart mid-tick): a
//! tick is an inbound message with event id `cron:<tick unix seconds>`, so the source's
//! dedupe row makes every emission after the first a no-op. Only the latest due tick is
//! emitted; ticks missed while no scheduler ran are not replayed, and ticks before the
//! source existed never fire. Everything takes `now`, so tests need no sleeping.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sluice_core::model::{InboundMeta, Source};
use sluice_store::{InboundAccepted, StoreResult};
use tokio_util::sync::CancellationToken;

use super::kinds::CronSpec;
use super::sealed::open_source;
use crate::state::AppState;

/// Longest sleep between scans, so new and changed cron sources are picked up.
const RESCAN: Duration = Duration::from_secs(30);

/// The latest tick of `spec` at or before `now` (Unix seconds).
pub fn last_tick(spec: &CronSpec, now: i64) -> Option<i64> {
    let at = DateTime::<Utc>::from_timestamp(now, 0)?;
    let tick = spec.schedule.find_previous_occurrence(&at, true).ok()?;
    Some(tick.timestamp())
}

/// The first tick of `spec` strictly after `now` (Unix seconds).
pub fn next_tick(spec: &CronSpec, now: i64) -> Option<i64> {
    let at = DateTime::<Utc>::from_timestamp(now, 0)?;
    let tick = spec.schedule.find_next_occurrence(&at, false).ok()?;
    Some(tick.timestamp())
}

/// Emits tick `tick` of `src`: one inbound message, deduplicated on `cron:<tick>`.
pub async fn emit(
    state: &AppState,
    src: &Source,
    spec: &CronSpec,
    tick: i64,
) -> StoreResult<InboundAccepted> {
    let now = state.clock.now();
    let meta = InboundMeta {
        content_type: spec.content_type.clone(),
        headers: Vec::new(),
    };
    let mut msg = super::receive::message(
        src,
        None,
        Some(format!("cron:{tick}")),
        spec.payload.clone(),
        meta,
        now,
    );
    msg.payload_expires_at = state
        .config
        .payload_retention_ms()
        .map(|ms| now.saturating_add(ms));
    let key = msg.event_id.clone();
    let done = state
        .store
        .create_inbound_message(&src.id, msg, key, now)
        .await?;
    if let sluice_store::InboundAccepted::Created { .. } = done {
        crate::telemetry::count_ingested(&src.app_id, &src.id);
    }
    Ok(done)
}

/// One scan at `now` (Unix seconds): emits every cron source's latest due tick not yet
/// emitted by this emitter (`emitted`: source id → last tick). Returns the earliest next
/// tick of any source.
pub async fn scan(
    state: &AppState,
    now: i64,
    emitted: &mut HashMap<String, i64>,
) -> StoreResult<Option<i64>> {
    let sources = state.store.sources_of_kind("cron").await?;
    let mut next: Option<i64> = None;
    for src in &sources {
        let spec = match open_source(&state.secrets, src).and_then(|o| o.settings.cron()) {
            Ok(spec) => spec,
            Err(why) => {
                tracing::error!(source.id = %src.id, "cron source unusable: {why}");
                continue;
            }
        };
        let created = src.created_at.div_euclid(1000);
        if let Some(tick) = last_tick(&spec, now).filter(|t| *t >= created) {
            if emitted.get(&src.id) != Some(&tick) {
                match emit(state, src, &spec, tick).await {
                    Ok(done) => {
                        tracing::debug!(source.id = %src.id, tick, ?done, "cron tick");
                        emitted.insert(src.id.clone(), tick);
                    }
                    Err(e) => tracing::warn!(source.id = %src.id, error = %e, "cron tick failed"),
                }
            }
        }
        if let Some(t) = next_tick(&spec, now) {
            next = Some(next.map_or(t, |n: i64| n.min(t)));
        }
    }
    emitted.retain(|id, _| sources.iter().any(|s| &s.id == id));
    Ok(next)
}

/// The scheduler task: scans, then sleeps until the next tick (at most [`RESCAN`]).
pub async fn run(state: AppState, shutdown: CancellationToken) {
    let mut emitted = HashMap::new();
    loop {
        let now = state.clock.now();
        let next = match scan(&state, now.div_euclid(1000), &mut emitted).await {
            Ok(next) => next,
            Err(e) => {
                tracing::warn!(error = %e, "cron scan failed");
                None
            }
        };
        let wait = next
            .map(|t| Duration::from_millis(u64::try_from(t * 1000 - now).unwrap_or(0)))
            .unwrap_or(RESCAN)
            .min(RESCAN);
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::kinds::Settings;

    fn spec(schedule: &str) -> CronSpec {
        let cfg = serde_json::json!({"schedule": schedule, "payload": "{}"});
        Settings::parse("cron", &cfg).unwrap().cron().unwrap()
    }

    #[test]
    fn ticks_around_now() {
        // 2023-11-14T22:13:20Z
        let now = 1_700_000_000;
        let every5 = spec("*/5 * * * *");
        assert_eq!(last_tick(&every5, now), Some(1_699_999_800)); // 22:10:00
        assert_eq!(next_tick(&every5, now), Some(1_700_000_100)); // 22:15:00
                                                                  // On a tick, that tick is the last one and the next is 5 minutes on.
        assert_eq!(last_tick(&every5, 1_700_000_100), Some(1_700_000_100));
        assert_eq!(next_tick(&every5, 1_700_000_100), Some(1_700_000_400));
        let daily = spec("0 3 * * *");
        assert_eq!(last_tick(&daily, now), Some(1_699_930_800)); // 2023-11-14T03:00Z
        assert_eq!(next_tick(&daily, now), Some(1_700_017_200)); // 2023-11-15T03:00Z
        let content = spec("0 0 1 1 *").content_type;
        assert_eq!(content, "application/json");
    }
}
