//! `/api/v1/event-type`: list, create (un-archives an archived type), get, upsert, patch,
//! delete (archive, or `expunge=true` to remove). Reading is open to app-portal tokens,
//! writing needs an org token.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sluice_store::Order;

use super::upserted;
use crate::api::extract::{ApiJson, Params};
use crate::api::models::event_type::{EventTypeIn, EventTypeOut, EventTypePatch};
use crate::api::pagination::{page_from, ListResponse};
use crate::api::validation;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::{self, Ctx};
use crate::state::AppState;

/// `GET /event-type`: by name; archived types only with `include_archived=true`, schemas
/// only with `with_content=true`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<ListResponse<EventTypeOut>>> {
    let include_archived = params.bool("include_archived")?.unwrap_or(false);
    let with_content = params.bool("with_content")?.unwrap_or(false);
    let page = page_from(&params, Order::Ascending, |k| {
        validation::event_type_name(k).is_ok()
    })?;
    let listed = state
        .store
        .list_event_types(caller.org_id(), include_archived, page.clone())
        .await?;
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |e| e.name.clone(),
        |e| EventTypeOut::new(e, with_content),
    )))
}

/// `POST /event-type`: 201; 409 if a live type has the name; an archived one is replaced
/// and un-archived (as Svix does), answering 201 too.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<EventTypeIn>,
) -> ApiResult<(StatusCode, Json<EventTypeOut>)> {
    let now = state.clock.now();
    let et = ops::event_types::create(Ctx::of(&state), &caller, body, now).await?;
    Ok((StatusCode::CREATED, Json(EventTypeOut::new(et, true))))
}

/// `GET /event-type/{name}` (archived ones included).
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<EventTypeOut>> {
    let et = state
        .store
        .get_event_type(caller.org_id(), &name)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(EventTypeOut::new(et, true)))
}

/// `PUT /event-type/{name}`: 200 replaced, 201 created.
pub async fn upsert(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<EventTypeIn>,
) -> ApiResult<(StatusCode, Json<EventTypeOut>)> {
    let now = state.clock.now();
    let et = ops::event_types::upsert(Ctx::of(&state), &caller, &name, body, now).await?;
    Ok(upserted(et, |et| EventTypeOut::new(et, true)))
}

/// `PATCH /event-type/{name}`.
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<EventTypePatch>,
) -> ApiResult<Json<EventTypeOut>> {
    let now = state.clock.now();
    let et = ops::event_types::patch(Ctx::of(&state), &caller, &name, body, now).await?;
    Ok(Json(EventTypeOut::new(et, true)))
}

/// `DELETE /event-type/{name}`: archives, or removes for good with `expunge=true`. 204.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    params: Params,
) -> ApiResult<StatusCode> {
    let expunge = params.bool("expunge")?.unwrap_or(false);
    let now = state.clock.now();
    ops::event_types::delete(Ctx::of(&state), &caller, &name, expunge, now).await?;
    Ok(StatusCode::NO_CONTENT)
}
