//! `…/endpoint/{endpoint_id}/secret` and `…/secret/rotate`, for applications and sources
//! alike. The only routes that ever show a secret.

use axum::extract::State;
use axum::Json;

use crate::api::extract::OptionalJson;
use crate::api::models::misc::{EndpointSecretOut, EndpointSecretRotateIn};
use crate::api::owner::EndpointRef;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::ops::{self, Ctx};
use crate::state::AppState;

/// `GET …/secret`: the current secret.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    at: EndpointRef,
) -> ApiResult<Json<EndpointSecretOut>> {
    let ctx = Ctx::of(&state);
    let app = at.owner.app_key(ctx, &caller).await?;
    let key = ops::endpoint_secret::get(ctx, &caller, &app, &at.endpoint).await?;
    Ok(Json(EndpointSecretOut { key }))
}

/// `POST …/secret/rotate`: the given (or a generated) key becomes current; the old one is
/// still signed with until the grace period ends. Answers 200 with the new key: the Svix
/// SDKs parse an `EndpointSecretOut` from this response.
pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    at: EndpointRef,
    OptionalJson(body): OptionalJson<EndpointSecretRotateIn>,
) -> ApiResult<Json<EndpointSecretOut>> {
    let ctx = Ctx::of(&state);
    let app = at.owner.app_key(ctx, &caller).await?;
    let now = state.clock.now();
    let key = ops::endpoint_secret::rotate(ctx, &caller, &app, &at.endpoint, body, now).await?;
    Ok(Json(EndpointSecretOut { key }))
}
