//! `/api/v1/app/{app_id}/msg`: publish, list, get, expunge the payload. Publishing is the
//! hot path; what it does is in [`crate::ops::messages`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sluice_core::ids;
use sluice_store::{MessageFilter, Order};

use crate::api::extract::{ApiJson, Params};
use crate::api::models::empty_object;
use crate::api::models::message::{MessageIn, MessageOut};
use crate::api::pagination::{page_from, ListResponse};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::ops::{self, scope, Ctx, Scope};
use crate::state::AppState;

/// `POST …/msg`: 202 with the message; `with_content=false` answers `payload: {}`.
/// A duplicate `eventId` in the app is a 409. With `deliverAt` ahead, the message is
/// stored at once and its deliveries wait until then.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    params: Params,
    ApiJson(body): ApiJson<MessageIn>,
) -> ApiResult<(StatusCode, Json<MessageOut>)> {
    let with_content = params.bool("with_content")?.unwrap_or(true);
    let now = state.clock.now();
    let published = ops::messages::create(Ctx::of(&state), &caller, &app_id, body, now).await?;
    let payload = if with_content {
        published.payload
    } else {
        empty_object()
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(MessageOut::with_payload(published.msg, payload)),
    ))
}

/// `GET …/msg`: newest first; filters `channel`, `tag`, `event_types`, `before`, `after`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    params: Params,
) -> ApiResult<Json<ListResponse<MessageOut>>> {
    let app = scope::load_app(Ctx::of(&state), &caller, &app_id, Scope::Portal).await?;
    let with_content = params.bool("with_content")?.unwrap_or(true);
    let filter = MessageFilter {
        channel: params.get("channel").map(String::from),
        tag: params.get("tag").map(String::from),
        event_types: params.list("event_types"),
        before: params.time("before")?,
        after: params.time("after")?,
    };
    let page = page_from(&params, Order::Descending, |k| ids::is_id(ids::MESSAGE, k))?;
    let listed = state
        .store
        .list_messages(&app.id, filter, page.clone())
        .await?;
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |m| m.id.clone(),
        |m| MessageOut::new(m, with_content),
    )))
}

/// `GET …/msg/{msg_id}` (id or eventId).
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, msg_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<MessageOut>> {
    let ctx = Ctx::of(&state);
    let app = scope::load_app(ctx, &caller, &app_id, Scope::Portal).await?;
    let with_content = params.bool("with_content")?.unwrap_or(true);
    let msg = scope::load_message(ctx, &app, &msg_id).await?;
    Ok(Json(MessageOut::new(msg, with_content)))
}

/// `DELETE …/msg/{msg_id}/content`: removes the payload for good (204). The message, its
/// deliveries and attempts stay; the payload then reads `{"expired": true}` and resending
/// the message is refused. Org tokens only: it destroys data.
pub async fn expunge_content(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, msg_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let now = state.clock.now();
    ops::messages::expunge_content(Ctx::of(&state), &caller, &app_id, &msg_id, now).await?;
    Ok(StatusCode::NO_CONTENT)
}
