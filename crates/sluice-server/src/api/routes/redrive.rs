//! Dead letters and redrive: `GET …/endpoint/{id}/dead-letter`, `GET …/app/{app}/dead-letter`
//! (Sluice's own), and the task-starting `POST …/endpoint/{id}/recover`, `…/replay-missing`
//! and `…/bulk-replay` (Svix's), each answering 202 with the running task to follow at
//! `GET /api/v1/background-task/{id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sluice_core::ids;
use sluice_store::Order;

use crate::api::extract::{parse_time, ApiJson, Params};
use crate::api::models::task::{
    BulkReplayIn, DeadLetterOut, ReplayCountOut, TaskStartedOut, WindowIn,
};
use crate::api::pagination::{page_from, ListResponse};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::redrive::{self, BulkReplay, BulkReplayed, DeadLetterQuery};
use crate::ops::Ctx;
use crate::state::AppState;

fn time_field(field: &str, text: &str) -> ApiResult<i64> {
    parse_time(text)
        .ok_or_else(|| ApiError::validation(&["body", field], "must be an RFC 3339 timestamp"))
}

/// `since` and the optional `until` of a body.
fn window(since: &str, until: Option<&str>) -> ApiResult<(i64, Option<i64>)> {
    let since = time_field("since", since)?;
    let until = until.map(|u| time_field("until", u)).transpose()?;
    Ok((since, until))
}

/// 202 with the task as created, and this node's runner woken.
fn started(state: &AppState, task: &sluice_store::Task) -> (StatusCode, Json<TaskStartedOut>) {
    state.task_wake.wake();
    (StatusCode::ACCEPTED, Json(TaskStartedOut::from(task)))
}

/// `POST …/recover`: starts an `endpoint.recover` task that re-sends the endpoint's failed
/// deliveries of messages created in `[since, until)` (at most 14 days back), one manual
/// try each. 202 with `status: running`.
pub async fn recover(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<WindowIn>,
) -> ApiResult<(StatusCode, Json<TaskStartedOut>)> {
    let (since, until) = window(&body.since, body.until.as_deref())?;
    let now = state.clock.now();
    let ctx = Ctx::of(&state);
    let task = redrive::recover(ctx, &caller, &app_id, &ep_id, since, until, now).await?;
    Ok(started(&state, &task))
}

/// `POST …/replay-missing`: starts an `endpoint.replay` task that sends the endpoint every
/// message of `[since, until)` its filters accept and it never had a delivery of. 202.
pub async fn replay_missing(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<WindowIn>,
) -> ApiResult<(StatusCode, Json<TaskStartedOut>)> {
    let (since, until) = window(&body.since, body.until.as_deref())?;
    let now = state.clock.now();
    let ctx = Ctx::of(&state);
    let task = redrive::replay_missing(ctx, &caller, &app_id, &ep_id, since, until, now).await?;
    Ok(started(&state, &task))
}

/// `POST …/bulk-replay`: starts an `endpoint.bulk-replay` task re-sending the endpoint's
/// finished deliveries (successful and failed) that match the filters. 202. With
/// `?dry_run=true` (Sluice's), nothing is queued and the answer is 200 `{"count": n}`.
pub async fn bulk_replay(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    params: Params,
    ApiJson(body): ApiJson<BulkReplayIn>,
) -> ApiResult<Response> {
    let dry_run = params.bool("dry_run")?.unwrap_or(false);
    let (since, until) = window(&body.since, body.until.as_deref())?;
    let req = BulkReplay {
        since,
        until,
        event_types: body.event_types.unwrap_or_default(),
        channel: body.channel,
        tag: body.tag,
        status: body.status,
        status_code_class: body.status_code_class,
    };
    let now = state.clock.now();
    let ctx = Ctx::of(&state);
    Ok(
        match redrive::bulk_replay(ctx, &caller, &app_id, &ep_id, req, dry_run, now).await? {
            BulkReplayed::Counted(count) => Json(ReplayCountOut { count }).into_response(),
            BulkReplayed::Started(task) => started(&state, &task).into_response(),
        },
    )
}

/// The dead-letter query parameters: `before`/`after` (of the failure), `event_types`,
/// `status_code`, `status_code_class`.
fn dead_letter_query(params: &Params) -> ApiResult<DeadLetterQuery> {
    let int32 = |name: &str| -> ApiResult<Option<i32>> {
        params
            .int(name)?
            .map(|v| {
                i32::try_from(v).map_err(|_| ApiError::validation(&["query", name], "out of range"))
            })
            .transpose()
    };
    Ok(DeadLetterQuery {
        before: params.time("before")?,
        after: params.time("after")?,
        event_types: params.list("event_types").unwrap_or_default(),
        status_code: int32("status_code")?,
        status_code_class: int32("status_code_class")?,
    })
}

async fn list(
    state: AppState,
    caller: Caller,
    app_id: String,
    ep_id: Option<String>,
    params: Params,
) -> ApiResult<Json<ListResponse<DeadLetterOut>>> {
    let q = dead_letter_query(&params)?;
    let page = page_from(&params, Order::Descending, |k| ids::is_id(ids::DELIVERY, k))?;
    let ctx = Ctx::of(&state);
    let listed =
        redrive::dead_letters(ctx, &caller, &app_id, ep_id.as_deref(), q, page.clone()).await?;
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |d| d.delivery_id.clone(),
        DeadLetterOut::from,
    )))
}

/// `GET …/endpoint/{id}/dead-letter`: the endpoint's exhausted deliveries, newest first.
pub async fn endpoint_dead_letters(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<ListResponse<DeadLetterOut>>> {
    list(state, caller, app_id, Some(ep_id), params).await
}

/// `GET /api/v1/app/{app}/dead-letter`: the application's exhausted deliveries, newest
/// first.
pub async fn app_dead_letters(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    params: Params,
) -> ApiResult<Json<ListResponse<DeadLetterOut>>> {
    list(state, caller, app_id, None, params).await
}
