//! `…/endpoint`: list, create, get, upsert, patch, delete — for applications
//! (`/api/v1/app/{app_id}`) and sources (`/ingest/api/v1/source/{source_id}`) alike; see
//! [`crate::api::owner`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use sluice_core::ids;
use sluice_store::Order;

use super::upserted;
use crate::api::extract::{ApiJson, Params};
use crate::api::models::endpoint::{EndpointIn, EndpointOut, EndpointPatch};
use crate::api::owner::{EndpointRef, Owner};
use crate::api::pagination::{page_from, ListResponse};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::ops::{self, Ctx};
use crate::state::AppState;

/// `GET …/endpoint`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    owner: Owner,
    params: Params,
) -> ApiResult<Json<ListResponse<EndpointOut>>> {
    let ctx = Ctx::of(&state);
    let app = owner.app_key(ctx, &caller).await?;
    let page = page_from(&params, Order::Ascending, |k| ids::is_id(ids::ENDPOINT, k))?;
    let listed = ops::endpoints::list(ctx, &caller, &app, page.clone()).await?;
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |e| e.id.clone(),
        EndpointOut::from,
    )))
}

/// `POST …/endpoint`: 201.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    owner: Owner,
    ApiJson(body): ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    let ctx = Ctx::of(&state);
    let app = owner.app_key(ctx, &caller).await?;
    let now = state.clock.now();
    let ep = ops::endpoints::create(ctx, &caller, &app, body, now).await?;
    Ok((StatusCode::CREATED, Json(ep.into())))
}

/// `GET …/endpoint/{endpoint_id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    at: EndpointRef,
) -> ApiResult<Json<EndpointOut>> {
    let ctx = Ctx::of(&state);
    let app = at.owner.app_key(ctx, &caller).await?;
    let ep = ops::endpoints::get(ctx, &caller, &app, &at.endpoint).await?;
    Ok(Json(ep.into()))
}

/// `PUT …/endpoint/{endpoint_id}`: 200 replaced (secret and headers kept), 201 created with
/// the path key as uid.
pub async fn upsert(
    State(state): State<AppState>,
    caller: Caller,
    at: EndpointRef,
    ApiJson(body): ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    let ctx = Ctx::of(&state);
    let app = at.owner.app_key(ctx, &caller).await?;
    let now = state.clock.now();
    let ep = ops::endpoints::upsert(ctx, &caller, &app, &at.endpoint, body, now).await?;
    Ok(upserted(ep, EndpointOut::from))
}

/// `PATCH …/endpoint/{endpoint_id}`.
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    at: EndpointRef,
    ApiJson(body): ApiJson<EndpointPatch>,
) -> ApiResult<Json<EndpointOut>> {
    let ctx = Ctx::of(&state);
    let app = at.owner.app_key(ctx, &caller).await?;
    let now = state.clock.now();
    let ep = ops::endpoints::patch(ctx, &caller, &app, &at.endpoint, body, now).await?;
    Ok(Json(ep.into()))
}

/// `DELETE …/endpoint/{endpoint_id}`: 204. Unfinished deliveries go with it; attempt
/// history stays.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    at: EndpointRef,
) -> ApiResult<StatusCode> {
    let ctx = Ctx::of(&state);
    let app = at.owner.app_key(ctx, &caller).await?;
    ops::endpoints::delete(ctx, &caller, &app, &at.endpoint).await?;
    Ok(StatusCode::NO_CONTENT)
}
