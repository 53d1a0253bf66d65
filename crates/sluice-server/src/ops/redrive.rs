//! Dead letters and redrive: listing an endpoint's or an application's exhausted
//! deliveries, and starting the background tasks that put deliveries back in the queue
//! (recover, replay-missing, bulk replay, with a count-only dry run). The tasks themselves
//! run in [`crate::tasks`]; these operations validate, count and create them.

use serde_json::json;
use sluice_core::model::DeliveryStatus;
use sluice_core::Millis;
use sluice_store::{DeadLetter, DeadLetterFilter, Listed, Page, Task};

use super::scope::{load_app, load_endpoint, Scope};
use super::tasks::start;
use super::{Ctx, Error, Result};
use crate::auth::Caller;
use crate::tasks::kinds::{ReplayParams, WindowParams};
use crate::tasks::{new_task, Kind};

/// How far back a recover may reach (Svix's bound, plus its five minutes of slack for
/// clocks and slow clients).
const RECOVER_MAX_AGE_MS: Millis = 14 * 24 * 3_600_000 + 5 * 60_000;

/// The Svix `StatusCodeClass` values.
const STATUS_CODE_CLASSES: [i32; 6] = [0, 100, 200, 300, 400, 500];

/// A window's end (`until`, default `now`), checked to come after `since`.
fn window(since: Millis, until: Option<Millis>, now: Millis) -> Result<(Millis, Millis)> {
    let until = until.unwrap_or(now);
    if since >= until {
        return Err(Error::invalid(&["body", "since"], "must be before until"));
    }
    Ok((since, until))
}

/// Starts an `endpoint.recover` task: the endpoint's failed deliveries of messages created
/// in `[since, until)` (`until` defaults to `now`; at most 14 days back), one manual try
/// each. `data.total` is how many it will re-send.
pub async fn recover(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ep_key: &str,
    since: Millis,
    until: Option<Millis>,
    now: Millis,
) -> Result<Task> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    if since < now - RECOVER_MAX_AGE_MS {
        return Err(Error::invalid(
            &["body", "since"],
            "Cannot recover messages more than 14 days old",
        ));
    }
    let (since, until) = window(since, until, now)?;
    let params = ReplayParams {
        since,
        until,
        status: Some(DeliveryStatus::Fail as i64),
        ..ReplayParams::default()
    };
    let total = ctx
        .store
        .count_replayable(&ep.id, params.selection(now))
        .await?;
    let task = new_task(
        &app.org_id,
        Some(&app.id),
        Some(&ep.id),
        Kind::Recover,
        serde_json::to_value(&params).map_err(Error::internal)?,
        json!({"messagesSent": 0, "processed": 0, "total": total}),
        now,
    );
    start(ctx, task).await
}

/// Starts an `endpoint.replay` task: every message of the application created in
/// `[since, until)` that the endpoint's filters accept and that has no delivery to it
/// gets one (a manual try).
pub async fn replay_missing(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ep_key: &str,
    since: Millis,
    until: Option<Millis>,
    now: Millis,
) -> Result<Task> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    let (since, until) = window(since, until, now)?;
    let params = WindowParams {
        since,
        until,
        app_ids: None,
    };
    let task = new_task(
        &app.org_id,
        Some(&app.id),
        Some(&ep.id),
        Kind::ReplayMissing,
        serde_json::to_value(&params).map_err(Error::internal)?,
        json!({"messagesSent": 0, "processed": 0}),
        now,
    );
    start(ctx, task).await
}

/// The filters of a bulk replay, as given (Svix's `BulkReplayIn`).
#[derive(Debug, Clone, Default)]
pub struct BulkReplay {
    /// Start (inclusive) of the messages' creation window.
    pub since: Millis,
    /// End (exclusive); `now` when absent.
    pub until: Option<Millis>,
    /// Only these event types.
    pub event_types: Vec<String>,
    /// Only messages on this channel.
    pub channel: Option<String>,
    /// Only messages with this tag.
    pub tag: Option<String>,
    /// Only deliveries in this `MessageStatus`.
    pub status: Option<i64>,
    /// Only where the last attempt's code is in this `StatusCodeClass`.
    pub status_code_class: Option<i32>,
}

/// What a bulk replay request did.
#[derive(Debug, Clone)]
pub enum BulkReplayed {
    /// A dry run: this many deliveries would be re-sent; nothing was queued.
    Counted(u64),
    /// The `endpoint.bulk-replay` task that re-sends them.
    Started(Box<Task>),
}

/// Re-sends the endpoint's finished deliveries (successful and failed) matching the
/// filters, one manual try each; with `dry_run`, only counts them. The count is of the
/// same selection the task walks, so a dry run then a run with nothing changed in between
/// agree.
pub async fn bulk_replay(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ep_key: &str,
    req: BulkReplay,
    dry_run: bool,
    now: Millis,
) -> Result<BulkReplayed> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    let (since, until) = window(req.since, req.until, now)?;
    if let Some(s) = req.status {
        if !(0..=4).contains(&s) {
            return Err(Error::invalid(
                &["body", "status"],
                "must be 0, 1, 2, 3 or 4",
            ));
        }
    }
    if let Some(c) = req.status_code_class {
        if !STATUS_CODE_CLASSES.contains(&c) {
            return Err(Error::invalid(
                &["body", "statusCodeClass"],
                "must be 0, 100, 200, 300, 400 or 500",
            ));
        }
    }
    let params = ReplayParams {
        since,
        until,
        event_types: req.event_types,
        channel: req.channel,
        tag: req.tag,
        status: req.status,
        status_code_class: req.status_code_class,
    };
    let total = ctx
        .store
        .count_replayable(&ep.id, params.selection(now))
        .await?;
    if dry_run {
        return Ok(BulkReplayed::Counted(total));
    }
    let task = new_task(
        &app.org_id,
        Some(&app.id),
        Some(&ep.id),
        Kind::BulkReplay,
        serde_json::to_value(&params).map_err(Error::internal)?,
        json!({"messagesSent": 0, "processed": 0, "total": total}),
        now,
    );
    Ok(BulkReplayed::Started(Box::new(start(ctx, task).await?)))
}

/// Filters of the dead-letter lists, as the API takes them.
#[derive(Debug, Clone, Default)]
pub struct DeadLetterQuery {
    /// Failed before this time.
    pub before: Option<Millis>,
    /// Failed after this time.
    pub after: Option<Millis>,
    /// Of these event types.
    pub event_types: Vec<String>,
    /// Whose last attempt answered this status code (0: no response).
    pub status_code: Option<i32>,
    /// Whose last attempt's code is in this class.
    pub status_code_class: Option<i32>,
}

/// The application's dead letters, or one endpoint's (`ep_key`).
pub async fn dead_letters(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ep_key: Option<&str>,
    q: DeadLetterQuery,
    page: Page,
) -> Result<Listed<DeadLetter>> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let endpoint_id = match ep_key {
        Some(key) => Some(load_endpoint(ctx, &app, key).await?.id),
        None => None,
    };
    if let Some(c) = q.status_code_class {
        if !STATUS_CODE_CLASSES.contains(&c) {
            return Err(Error::invalid(
                &["query", "status_code_class"],
                "must be 0, 100, 200, 300, 400 or 500",
            ));
        }
    }
    let filter = DeadLetterFilter {
        app_id: app.id,
        endpoint_id,
        failed_before: q.before,
        failed_after: q.after,
        event_types: q.event_types,
        status_code: q.status_code,
        status_code_class: q.status_code_class,
        ..DeadLetterFilter::default()
    };
    Ok(ctx.store.list_dead_letters(filter, page).await?)
}
