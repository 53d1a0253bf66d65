//! `/api/v1/app/{app_id}/msg`: publish, list, get, expunge the payload.
//!
//! Publishing is the hot path (benchmarked): one `get_app` read and one `create_message`
//! write (message + fan-out in one transaction), then a small response. The payload is
//! carried as the raw JSON text received and never re-serialised.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sluice_core::ids;
use sluice_core::model::Message;
use sluice_store::{MessageFilter, Order};

use super::{create_inline_app, load_app, load_message, Scope};
use crate::api::extract::{parse_time, ApiJson, Params};
use crate::api::models::message::{MessageIn, MessageOut};
use crate::api::models::{empty_object, payload_out, ts};
use crate::api::pagination::{page_from, ListResponse};
use crate::api::validation::Problems;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How far ahead `deliverAt` may be (Svix's bound: five days).
pub const MAX_DELIVER_AHEAD_MS: i64 = 5 * 24 * 3600 * 1000;

/// The requested delivery time of a `deliverAt`, checked against `now`: unparseable or more
/// than [`MAX_DELIVER_AHEAD_MS`] ahead is a 422. A time in the past is kept as given (the
/// deliveries are then due at once).
fn deliver_at(text: Option<&str>, now: i64) -> ApiResult<Option<i64>> {
    let Some(text) = text else { return Ok(None) };
    let at = parse_time(text).ok_or_else(|| {
        ApiError::validation(&["body", "deliverAt"], "must be an RFC 3339 timestamp")
    })?;
    if at > now.saturating_add(MAX_DELIVER_AHEAD_MS) {
        return Err(ApiError::validation(
            &["body", "deliverAt"],
            "must be at most 5 days in the future",
        ));
    }
    Ok(Some(at))
}

/// `POST …/msg`: 202 with the message; `with_content=false` answers `payload: {}`.
/// A duplicate `eventId` in the app is a 409. With `deliverAt` ahead, the message is
/// stored at once and its deliveries wait until then.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    params: Params,
    ApiJson(mut body): ApiJson<MessageIn>,
) -> ApiResult<(StatusCode, Json<MessageOut>)> {
    let org = caller.require_org()?;
    let with_content = params.bool("with_content")?.unwrap_or(true);
    let mut p = Problems::new();
    body.validate(&mut p);
    p.finish()?;
    let now = sluice_core::now_millis();
    let deliver_at = deliver_at(body.deliver_at.as_deref(), now)?;
    let app = match state.store.get_app(org, &app_id).await? {
        Some(app) => app,
        None => match body.application.take() {
            Some(app_in) => create_inline_app(&state, org, &app_id, app_in, now).await?,
            None => return Err(ApiError::not_found()),
        },
    };
    let id = ids::new_id(ids::MESSAGE, now);
    let out = MessageOut {
        id: id.clone(),
        event_type: body.event_type.clone(),
        event_id: body.event_id.clone(),
        payload: empty_object(),
        channels: body.channels.clone(),
        tags: body.tags.clone(),
        deliver_at: deliver_at.map(ts),
        timestamp: ts(now),
    };
    // A raw payload is delivered as given; otherwise the payload's exact JSON text is.
    let (payload, raw) = match body.transformations_params.and_then(|t| t.raw_payload) {
        Some(text) => {
            let echo = payload_out(&text, true);
            (text, echo)
        }
        None => (body.payload.get().to_owned(), body.payload),
    };
    let msg = Message {
        id,
        app_id: app.id,
        event_type: body.event_type,
        event_id: body.event_id,
        channels: body.channels,
        payload,
        tags: body.tags,
        deliver_at,
        created_at: now,
        ..Message::default()
    };
    state.store.create_message(msg, None, now).await?;
    let out = if with_content {
        MessageOut {
            payload: raw,
            ..out
        }
    } else {
        out
    };
    Ok((StatusCode::ACCEPTED, Json(out)))
}

/// `GET …/msg`: newest first; filters `channel`, `tag`, `event_types`, `before`, `after`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    params: Params,
) -> ApiResult<Json<ListResponse<MessageOut>>> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
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
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let with_content = params.bool("with_content")?.unwrap_or(true);
    Ok(Json(MessageOut::new(
        load_message(&state, &app, &msg_id).await?,
        with_content,
    )))
}

/// `DELETE …/msg/{msg_id}/content`: removes the payload for good (204). The message, its
/// deliveries and attempts stay; the payload then reads `{"expired": true}` and resending
/// the message is refused. Org tokens only: it destroys data.
pub async fn expunge_content(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, msg_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let app = load_app(&state, &caller, &app_id, Scope::Org).await?;
    let msg = load_message(&state, &app, &msg_id).await?;
    state
        .store
        .expunge_message_content(&app.id, &msg.id, sluice_core::now_millis())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
