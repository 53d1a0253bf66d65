//! Delivery history: attempts by message or endpoint, one attempt, the messages attempted
//! to an endpoint, the endpoints a message went to, and manual resend.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use sluice_core::ids;
use sluice_core::model::{DeliveryStatus, Message};
use sluice_store::{AttemptFilter, Order};

use crate::api::extract::Params;
use crate::api::models::attempt::{EndpointMessageOut, MessageAttemptOut, MessageEndpointOut};
use crate::api::models::message::MessageOut;
use crate::api::pagination::{page_from, ListResponse};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::scope::{load_app, load_endpoint, load_message};
use crate::ops::{self, Ctx, Scope};
use crate::state::AppState;

type Attempts = Json<ListResponse<MessageAttemptOut>>;

fn status_param(params: &Params) -> ApiResult<Option<DeliveryStatus>> {
    params
        .int("status")?
        .map(|s| {
            DeliveryStatus::from_i64(s)
                .ok_or_else(|| ApiError::validation(&["query", "status"], "must be 0, 1, 2 or 3"))
        })
        .transpose()
}

fn status_code_class_param(params: &Params) -> ApiResult<Option<i32>> {
    match params.int("status_code_class")? {
        None => Ok(None),
        Some(c @ (0 | 100 | 200 | 300 | 400 | 500)) => Ok(Some(c as i32)),
        Some(_) => Err(ApiError::validation(
            &["query", "status_code_class"],
            "must be 0, 100, 200, 300, 400 or 500",
        )),
    }
}

/// The filter fields every attempt list shares.
fn attempt_filter(app_id: &str, params: &Params) -> ApiResult<AttemptFilter> {
    Ok(AttemptFilter {
        app_id: app_id.to_string(),
        msg_id: None,
        endpoint_id: None,
        status: status_param(params)?,
        status_code_class: status_code_class_param(params)?,
        event_types: params.list("event_types"),
        channel: params.get("channel").map(String::from),
        tag: params.get("tag").map(String::from),
        before: params.time("before")?,
        after: params.time("after")?,
    })
}

/// Runs an attempt list; with `with_msg`, each attempt carries its message (fetched once
/// per distinct message of the page).
async fn list_attempts(
    state: &AppState,
    filter: AttemptFilter,
    params: &Params,
    with_msg: bool,
) -> ApiResult<Attempts> {
    let with_content = params.bool("with_content")?.unwrap_or(true);
    let page = page_from(params, Order::Descending, |k| ids::is_id(ids::ATTEMPT, k))?;
    let app_id = filter.app_id.clone();
    let listed = state.store.list_attempts(filter, page.clone()).await?;
    let mut msgs: HashMap<String, Message> = HashMap::new();
    if with_msg {
        for a in &listed.items {
            if !msgs.contains_key(&a.msg_id) {
                if let Some(m) = state.store.get_message(&app_id, &a.msg_id).await? {
                    msgs.insert(a.msg_id.clone(), m);
                }
            }
        }
    }
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |a| a.id.clone(),
        |a| {
            let msg = msgs
                .get(&a.msg_id)
                .map(|m| MessageOut::new(m.clone(), with_content));
            MessageAttemptOut::new(a, with_content, msg)
        },
    )))
}

/// `GET /app/{app_id}/attempt/msg/{msg_id}` (filters incl. `endpoint_id`).
pub async fn list_by_msg(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, msg_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Attempts> {
    let app = load_app(Ctx::of(&state), &caller, &app_id, Scope::Portal).await?;
    let msg = load_message(Ctx::of(&state), &app, &msg_id).await?;
    let mut filter = attempt_filter(&app.id, &params)?;
    filter.msg_id = Some(msg.id);
    if let Some(ep) = params.get("endpoint_id") {
        filter.endpoint_id = Some(load_endpoint(Ctx::of(&state), &app, ep).await?.id);
    }
    list_attempts(&state, filter, &params, false).await
}

/// Deprecated `GET /app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/attempt`: attempts of
/// one message to one endpoint.
pub async fn list_by_msg_and_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, msg_id, ep_id)): Path<(String, String, String)>,
    params: Params,
) -> ApiResult<Attempts> {
    let app = load_app(Ctx::of(&state), &caller, &app_id, Scope::Portal).await?;
    let msg = load_message(Ctx::of(&state), &app, &msg_id).await?;
    let ep = load_endpoint(Ctx::of(&state), &app, &ep_id).await?;
    let mut filter = attempt_filter(&app.id, &params)?;
    filter.msg_id = Some(msg.id);
    filter.endpoint_id = Some(ep.id);
    list_attempts(&state, filter, &params, false).await
}

/// `GET /app/{app_id}/attempt/endpoint/{endpoint_id}` (`with_msg=true` embeds messages).
pub async fn list_by_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Attempts> {
    let app = load_app(Ctx::of(&state), &caller, &app_id, Scope::Portal).await?;
    let ep = load_endpoint(Ctx::of(&state), &app, &ep_id).await?;
    let mut filter = attempt_filter(&app.id, &params)?;
    filter.endpoint_id = Some(ep.id);
    let with_msg = params.bool("with_msg")?.unwrap_or(false);
    list_attempts(&state, filter, &params, with_msg).await
}

/// `GET /app/{app_id}/msg/{msg_id}/attempt/{attempt_id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, msg_id, attempt_id)): Path<(String, String, String)>,
) -> ApiResult<Json<MessageAttemptOut>> {
    let app = load_app(Ctx::of(&state), &caller, &app_id, Scope::Portal).await?;
    let msg = load_message(Ctx::of(&state), &app, &msg_id).await?;
    let attempt = state
        .store
        .get_attempt(&app.id, &msg.id, &attempt_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(MessageAttemptOut::new(attempt, true, None)))
}

/// `GET /app/{app_id}/endpoint/{endpoint_id}/msg`: messages with a delivery to the endpoint
/// and that delivery's state. `status` is filtered by the store; `channel`, `tag`,
/// `event_types`, `before` and `after` on the page (cursors stay exact, pages may come back
/// short).
pub async fn attempted_messages(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<ListResponse<EndpointMessageOut>>> {
    let app = load_app(Ctx::of(&state), &caller, &app_id, Scope::Portal).await?;
    let ep = load_endpoint(Ctx::of(&state), &app, &ep_id).await?;
    let with_content = params.bool("with_content")?.unwrap_or(true);
    let expanded = params.bool("expanded_statuses")?.unwrap_or(false);
    let channel = params.get("channel").map(String::from);
    let tag = params.get("tag").map(String::from);
    let event_types = params.list("event_types");
    let (before, after) = (params.time("before")?, params.time("after")?);
    let page = page_from(&params, Order::Descending, |k| ids::is_id(ids::MESSAGE, k))?;
    let listed = state
        .store
        .list_endpoint_deliveries(&ep.id, status_param(&params)?, page.clone())
        .await?;
    let keep = |(m, _): &(Message, _)| {
        channel
            .as_ref()
            .is_none_or(|c| m.channels.as_ref().is_some_and(|chs| chs.contains(c)))
            && tag
                .as_ref()
                .is_none_or(|t| m.tags.as_ref().is_some_and(|tags| tags.contains(t)))
            && event_types
                .as_ref()
                .is_none_or(|t| t.contains(&m.event_type))
            && before.is_none_or(|b| m.created_at < b)
            && after.is_none_or(|a| m.created_at > a)
    };
    Ok(Json(ListResponse::build_filtered(
        listed,
        &page,
        |(m, _)| m.id.clone(),
        keep,
        |(m, d)| EndpointMessageOut::new(m, &d, with_content, expanded),
    )))
}

/// `GET /app/{app_id}/msg/{msg_id}/endpoint`: endpoints the message has a delivery to.
pub async fn attempted_destinations(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, msg_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<ListResponse<MessageEndpointOut>>> {
    let app = load_app(Ctx::of(&state), &caller, &app_id, Scope::Portal).await?;
    let msg = load_message(Ctx::of(&state), &app, &msg_id).await?;
    let expanded = params.bool("expanded_statuses")?.unwrap_or(false);
    let page = page_from(&params, Order::Ascending, |k| ids::is_id(ids::ENDPOINT, k))?;
    let listed = state
        .store
        .list_message_deliveries(&msg.id, page.clone())
        .await?;
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |(e, _)| e.id.clone(),
        |(e, d)| MessageEndpointOut::new(e, &d, expanded),
    )))
}

/// `POST /app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend`: one manual try,
/// filters bypassed. 202 `{}`; 400 `missing_payload` once the payload was expunged.
pub async fn resend(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, msg_id, ep_id)): Path<(String, String, String)>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let now = state.clock.now();
    ops::delivery::resend(Ctx::of(&state), &caller, &app_id, &msg_id, &ep_id, now).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({}))))
}

/// `DELETE /app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content`: the attempt's stored
/// response body becomes `EXPUNGED`, as in Svix (204). Org tokens only.
pub async fn expunge_content(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, msg_id, attempt_id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let ctx = Ctx::of(&state);
    ops::messages::expunge_attempt_content(ctx, &caller, &app_id, &msg_id, &attempt_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
