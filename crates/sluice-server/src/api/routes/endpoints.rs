//! `…/endpoint`: list, create, get, upsert, patch, delete — for applications
//! (`/api/v1/app/{app_id}`) and sources (`/ingest/api/v1/source/{source_id}`) alike; see
//! [`crate::api::owner`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use sluice_core::ids;
use sluice_core::model::Endpoint;
use sluice_store::Order;

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
    let ids = listed.items.iter().map(|e| e.id.clone()).collect();
    let controls = state.store.endpoint_controls(ids).await?;
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |e| e.id.clone(),
        |e| {
            let control = controls.get(&e.id).copied().unwrap_or_default();
            EndpointOut::from(e).with_control(&control)
        },
    )))
}

/// The wire form of an endpoint with its delivery control state (Sluice's fields).
async fn shown(state: &AppState, ep: Endpoint) -> ApiResult<EndpointOut> {
    let control = state.store.endpoint_control(&ep.id).await?;
    Ok(EndpointOut::from(ep).with_control(&control))
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
    Ok((StatusCode::CREATED, Json(shown(&state, ep).await?)))
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
    Ok(Json(shown(&state, ep).await?))
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
    let created = ep.created();
    let out = shown(&state, ep.into_inner()).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(out)))
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
    Ok(Json(shown(&state, ep).await?))
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
