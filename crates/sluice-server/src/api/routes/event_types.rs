//! `/api/v1/event-type`: list, create (un-archives an archived type), get, upsert, patch,
//! delete (archive, or `expunge=true` to remove). Reading is open to app-portal tokens,
//! writing needs an org token.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sluice_store::Order;

use super::same_name_as_path;
use crate::api::extract::{ApiJson, Params};
use crate::api::models::event_type::{EventTypeIn, EventTypeOut, EventTypePatch};
use crate::api::pagination::{page_from, ListResponse};
use crate::api::validation::{self, Problems};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
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
    let org = caller.require_org()?;
    let Some(name) = body.name.clone() else {
        return Err(ApiError::validation(&["body", "name"], "field required"));
    };
    let mut p = Problems::new();
    body.validate(&name, &mut p);
    p.finish()?;
    let now = sluice_core::now_millis();
    if let Some(mut existing) = state.store.get_event_type(org, &name).await? {
        if !existing.archived {
            return Err(ApiError::conflict(
                "An event type with this name already exists",
            ));
        }
        body.replace(&mut existing, now);
        existing.archived = false;
        state.store.update_event_type(existing.clone()).await?;
        return Ok((StatusCode::CREATED, Json(EventTypeOut::new(existing, true))));
    }
    let et = body.into_event_type(org, name, now);
    state.store.create_event_type(et.clone()).await?;
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
    let org = caller.require_org()?;
    same_name_as_path(&name, body.name.as_deref())?;
    let mut p = Problems::new();
    body.validate(&name, &mut p);
    p.finish()?;
    let now = sluice_core::now_millis();
    match state.store.get_event_type(org, &name).await? {
        Some(mut et) => {
            body.replace(&mut et, now);
            state.store.update_event_type(et.clone()).await?;
            Ok((StatusCode::OK, Json(EventTypeOut::new(et, true))))
        }
        None => {
            let et = body.into_event_type(org, name, now);
            state.store.create_event_type(et.clone()).await?;
            Ok((StatusCode::CREATED, Json(EventTypeOut::new(et, true))))
        }
    }
}

/// `PATCH /event-type/{name}`.
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<EventTypePatch>,
) -> ApiResult<Json<EventTypeOut>> {
    let org = caller.require_org()?;
    let mut et = state
        .store
        .get_event_type(org, &name)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut p = Problems::new();
    body.validate(&mut p);
    p.finish()?;
    body.apply(&mut et, sluice_core::now_millis());
    state.store.update_event_type(et.clone()).await?;
    Ok(Json(EventTypeOut::new(et, true)))
}

/// `DELETE /event-type/{name}`: archives (endpoints filtering on it keep working; new
/// endpoints cannot subscribe), or removes it for good with `expunge=true`. 204.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    params: Params,
) -> ApiResult<StatusCode> {
    let org = caller.require_org()?;
    let et = state
        .store
        .get_event_type(org, &name)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if params.bool("expunge")?.unwrap_or(false) {
        state.store.delete_event_type(org, &et.name).await?;
    } else if !et.archived {
        let mut et = et;
        et.archived = true;
        et.updated_at = sluice_core::now_millis();
        state.store.update_event_type(et).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
