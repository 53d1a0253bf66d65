//! `/api/v1/app/{app_id}/integration`: an application's integrations (Svix's
//! `svix.integration.*`) and their keys; the rules are in [`crate::ops::integrations`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sluice_core::ids;
use sluice_store::Order;

use crate::api::extract::{ApiJson, Params};
use crate::api::models::integration::{IntegrationIn, IntegrationKeyOut, IntegrationOut};
use crate::api::pagination::{page_from, ListResponse};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::ops::{self, scope, Ctx, Scope};
use crate::state::AppState;

/// `GET …/integration`: oldest first (`order=descending` for newest first).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    params: Params,
) -> ApiResult<Json<ListResponse<IntegrationOut>>> {
    let app = scope::load_app(Ctx::of(&state), &caller, &app_id, Scope::Org).await?;
    let page = page_from(&params, Order::Ascending, |k| {
        ids::is_id(ids::INTEGRATION, k)
    })?;
    let listed = state.store.list_integrations(&app.id, page.clone()).await?;
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |i| i.id.clone(),
        IntegrationOut::from,
    )))
}

/// `POST …/integration`: 201 with the integration; its key is generated and sealed.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    ApiJson(body): ApiJson<IntegrationIn>,
) -> ApiResult<(StatusCode, Json<IntegrationOut>)> {
    let now = state.clock.now();
    let integ = ops::integrations::create(Ctx::of(&state), &caller, &app_id, body, now).await?;
    Ok((StatusCode::CREATED, Json(integ.into())))
}

/// `GET …/integration/{integ_id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, integ_id)): Path<(String, String)>,
) -> ApiResult<Json<IntegrationOut>> {
    let integ = ops::integrations::get(Ctx::of(&state), &caller, &app_id, &integ_id).await?;
    Ok(Json(integ.into()))
}

/// `PUT …/integration/{integ_id}` (`IntegrationUpdate`): name and feature flags; absent
/// flags mean none. The key is unchanged.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, integ_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<IntegrationIn>,
) -> ApiResult<Json<IntegrationOut>> {
    let now = state.clock.now();
    let ctx = Ctx::of(&state);
    let integ = ops::integrations::update(ctx, &caller, &app_id, &integ_id, body, now).await?;
    Ok(Json(integ.into()))
}

/// `DELETE …/integration/{integ_id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, integ_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    ops::integrations::delete(Ctx::of(&state), &caller, &app_id, &integ_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/integration/{integ_id}/key` (deprecated in the SDK, still called by it).
pub async fn get_key(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, integ_id)): Path<(String, String)>,
) -> ApiResult<Json<IntegrationKeyOut>> {
    let key = ops::integrations::get_key(Ctx::of(&state), &caller, &app_id, &integ_id).await?;
    Ok(Json(IntegrationKeyOut { key }))
}

/// `POST …/integration/{integ_id}/key/rotate`: a new key; the previous one is revoked at
/// once. 200 with the new key.
pub async fn rotate_key(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, integ_id)): Path<(String, String)>,
) -> ApiResult<Json<IntegrationKeyOut>> {
    let now = state.clock.now();
    let ctx = Ctx::of(&state);
    let key = ops::integrations::rotate_key(ctx, &caller, &app_id, &integ_id, now).await?;
    Ok(Json(IntegrationKeyOut { key }))
}
