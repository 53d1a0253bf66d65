//! `GET /api/v1/background-task` and `…/{task_id}`, and the routes that start
//! application- or org-wide tasks: `POST …/msg/expunge-all-contents` and
//! `POST /api/v1/stats/usage/app`. Also `POST …/msg/bulk-expunge`, which is bounded and
//! runs in the request.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sluice_core::ids;
use sluice_store::{Order, TaskFilter, TaskStatus};

use crate::api::extract::{parse_time, ApiJson, Params};
use crate::api::models::task::{
    AppUsageStatsIn, AppUsageStatsOut, BackgroundTaskOut, BulkExpungeContentsIn,
    BulkExpungeContentsOut, TaskStartedOut,
};
use crate::api::models::ts;
use crate::api::pagination::{page_from, ListResponse};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::tasks::{self, Expunged};
use crate::ops::Ctx;
use crate::state::AppState;

/// `GET /api/v1/background-task`: the org's tasks, newest first; filters `status`
/// (`running|finished|failed`) and `task` (a `BackgroundTaskType`).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<ListResponse<BackgroundTaskOut>>> {
    let status = params
        .get("status")
        .map(|s| {
            TaskStatus::parse(s).ok_or_else(|| {
                ApiError::validation(&["query", "status"], "must be running, finished or failed")
            })
        })
        .transpose()?;
    let filter = TaskFilter {
        status,
        kind: params.get("task").map(String::from),
    };
    let page = page_from(&params, Order::Descending, |k| ids::is_id(ids::TASK, k))?;
    let listed = tasks::list(Ctx::of(&state), &caller, filter, page.clone()).await?;
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |t| t.id.clone(),
        BackgroundTaskOut::from,
    )))
}

/// `GET /api/v1/background-task/{task_id}`: where the task stands; `data` shows its
/// progress and, once finished, its results.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(task_id): Path<String>,
) -> ApiResult<Json<BackgroundTaskOut>> {
    let task = tasks::get(Ctx::of(&state), &caller, &task_id).await?;
    Ok(Json(task.into()))
}

/// `POST …/msg/expunge-all-contents`: starts an `application.purge_content` task. 202.
pub async fn expunge_all(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
) -> ApiResult<(StatusCode, Json<TaskStartedOut>)> {
    let now = state.clock.now();
    let task = tasks::expunge_all(Ctx::of(&state), &caller, &app_id, now).await?;
    state.task_wake.wake();
    Ok((StatusCode::ACCEPTED, Json(TaskStartedOut::from(&task))))
}

/// `POST …/msg/bulk-expunge`: expunges up to 100 messages' payloads (ids or event ids);
/// `results` says `expunged` or `not-found` per id.
pub async fn bulk_expunge(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    ApiJson(body): ApiJson<BulkExpungeContentsIn>,
) -> ApiResult<Json<BulkExpungeContentsOut>> {
    let now = state.clock.now();
    let ids = body.ids.unwrap_or_default();
    let done = tasks::bulk_expunge(Ctx::of(&state), &caller, &app_id, ids, now).await?;
    let results = done
        .into_iter()
        .map(|(id, s)| {
            let text = match s {
                Expunged::Expunged => "expunged",
                Expunged::NotFound => "not-found",
            };
            (id, text)
        })
        .collect();
    Ok(Json(BulkExpungeContentsOut { results }))
}

/// `POST /api/v1/stats/usage/app`: starts an `application.stats` task over
/// `[since, until)`. 202 with the names that matched no application.
pub async fn app_usage(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<AppUsageStatsIn>,
) -> ApiResult<(StatusCode, Json<AppUsageStatsOut>)> {
    let time = |field: &str, text: &str| {
        parse_time(text)
            .ok_or_else(|| ApiError::validation(&["body", field], "must be an RFC 3339 timestamp"))
    };
    let (since, until) = (time("since", &body.since)?, time("until", &body.until)?);
    let now = state.clock.now();
    let ctx = Ctx::of(&state);
    let (task, unresolved) =
        tasks::app_usage(ctx, &caller, since, until, body.app_ids, now).await?;
    state.task_wake.wake();
    Ok((
        StatusCode::ACCEPTED,
        Json(AppUsageStatsOut {
            id: task.id,
            status: task.status.text(),
            task: task.kind,
            updated_at: ts(task.updated_at),
            unresolved_app_ids: unresolved,
        }),
    ))
}

/// `GET …/msg/expunge-all-contents` and `GET …/msg/bulk-expunge`: those paths are POST
/// routes of their own, but a GET of them is the message whose event id is that word, as
/// it was before they were served.
pub async fn get_message_named(
    state: State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    uri: axum::http::Uri,
    params: Params,
) -> ApiResult<Json<crate::api::models::message::MessageOut>> {
    let name = uri
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    super::messages::get(state, caller, Path((app_id, name)), params).await
}
