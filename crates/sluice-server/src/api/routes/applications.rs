//! `/api/v1/app`: list, create (`get_if_exists`), get, upsert, patch, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sluice_core::ids;
use sluice_store::Order;

use super::upserted;
use crate::api::extract::{ApiJson, Params};
use crate::api::models::application::{ApplicationIn, ApplicationOut, ApplicationPatch};
use crate::api::pagination::{page_from, ListResponse};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::ops::{self, scope, Ctx, Scope};
use crate::state::AppState;

/// `GET /app`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<ListResponse<ApplicationOut>>> {
    let org = scope::org_of(&caller)?;
    let page = page_from(&params, Order::Ascending, |k| ids::is_id(ids::APP, k))?;
    let listed = state.store.list_apps(org, page.clone()).await?;
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |a| a.id.clone(),
        ApplicationOut::from,
    )))
}

/// `POST /app`: 201, or 200 with the existing app when `get_if_exists=true` and the uid is
/// taken.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    ApiJson(body): ApiJson<ApplicationIn>,
) -> ApiResult<(StatusCode, Json<ApplicationOut>)> {
    let get_if_exists = params.bool("get_if_exists")?.unwrap_or(false);
    let now = state.clock.now();
    let app = ops::apps::create(Ctx::of(&state), &caller, body, get_if_exists, now).await?;
    Ok(upserted(app, ApplicationOut::from))
}

/// `GET /app/{app_id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
) -> ApiResult<Json<ApplicationOut>> {
    let app = scope::load_app(Ctx::of(&state), &caller, &app_id, Scope::Portal).await?;
    Ok(Json(app.into()))
}

/// `PUT /app/{app_id}`: replaces an existing app (200) or creates one whose uid is the
/// path key (201).
pub async fn upsert(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    ApiJson(body): ApiJson<ApplicationIn>,
) -> ApiResult<(StatusCode, Json<ApplicationOut>)> {
    let now = state.clock.now();
    let app = ops::apps::upsert(Ctx::of(&state), &caller, &app_id, body, now).await?;
    Ok(upserted(app, ApplicationOut::from))
}

/// `PATCH /app/{app_id}`.
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    ApiJson(body): ApiJson<ApplicationPatch>,
) -> ApiResult<Json<ApplicationOut>> {
    let now = state.clock.now();
    let app = ops::apps::patch(Ctx::of(&state), &caller, &app_id, body, now).await?;
    Ok(Json(app.into()))
}

/// `DELETE /app/{app_id}`: 204; 409 for a source's application (delete the source).
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
) -> ApiResult<StatusCode> {
    ops::apps::delete(Ctx::of(&state), &caller, &app_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
