//! Endpoint operations: `…/send-example`, `…/stats`, `…/attempt-stats` (recover and the
//! replays are in [`super::redrive`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::value::RawValue;

use crate::api::extract::{ApiJson, Params};
use crate::api::models::message::MessageOut;
use crate::api::models::misc::{EndpointAttemptStats, EndpointStats, EventExampleIn};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::{self, Ctx};
use crate::state::AppState;

/// `POST …/send-example`: publishes an example message to this endpoint only (filters
/// bypassed). `svix.ping` is built in; other types need an example in their schema (404 for
/// an unknown type, 422 without an example). 202.
pub async fn send_example(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<EventExampleIn>,
) -> ApiResult<(StatusCode, Json<MessageOut>)> {
    let now = state.clock.now();
    let msg = ops::delivery::send_example(
        Ctx::of(&state),
        &caller,
        &app_id,
        &ep_id,
        body.event_type,
        body.example_index,
        now,
    )
    .await?;
    let raw = RawValue::from_string(msg.payload.clone()).map_err(ApiError::internal)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(MessageOut::with_payload(msg, raw)),
    ))
}

/// `GET …/stats?since&until`: counts of the endpoint's deliveries created in the window
/// (default: the last 28 days).
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<EndpointStats>> {
    let (since, until) = (params.time("since")?, params.time("until")?);
    let now = state.clock.now();
    let ctx = Ctx::of(&state);
    let c = ops::delivery::stats(ctx, &caller, &app_id, &ep_id, since, until, now).await?;
    Ok(Json(EndpointStats {
        success: c.success,
        pending: c.pending,
        sending: c.sending,
        fail: c.fail,
        canceled: 0,
    }))
}

/// `GET …/attempt-stats?since&until`: the endpoint's attempts by outcome, made in the
/// window rounded out to whole hours (default: the last 28 days).
pub async fn attempt_stats(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<EndpointAttemptStats>> {
    let (since, until) = (params.time("since")?, params.time("until")?);
    let now = state.clock.now();
    let ctx = Ctx::of(&state);
    let c =
        ops::attempt_stats::attempt_stats(ctx, &caller, &app_id, &ep_id, since, until, now).await?;
    Ok(Json(EndpointAttemptStats {
        success: c.success,
        fail: c.fail,
        canceled: 0,
    }))
}
