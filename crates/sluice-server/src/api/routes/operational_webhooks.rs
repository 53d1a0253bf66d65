//! `/api/v1/operational-webhook/endpoint…`: the caller's org's operational webhook
//! endpoints (list, create, get, upsert, delete, secret, rotate, headers), as the Svix SDK's
//! `operational_webhook.endpoint` calls them. Org tokens only; see
//! [`crate::ops::operational`] for where these endpoints live.

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use sluice_core::ids;
use sluice_store::Order;

use super::upserted;
use crate::api::extract::{ApiJson, OptionalJson, Params};
use crate::api::models::misc::{
    EndpointHeadersIn, EndpointHeadersOut, EndpointSecretOut, EndpointSecretRotateIn,
};
use crate::api::models::operational::{OperationalEndpointIn, OperationalEndpointOut};
use crate::api::pagination::{page_from, ListResponse};
use crate::api::validation::is_sensitive_header;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ops::{self, Ctx};
use crate::state::AppState;

/// The `{endpoint_id}` of the path (an id or a uid).
#[derive(Debug)]
pub struct EndpointKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for EndpointKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(key) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
        Ok(Self(key))
    }
}

/// `GET …/endpoint`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<ListResponse<OperationalEndpointOut>>> {
    let page = page_from(&params, Order::Ascending, |k| ids::is_id(ids::ENDPOINT, k))?;
    let listed = ops::operational::list(Ctx::of(&state), &caller, page.clone()).await?;
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |e| e.id.clone(),
        OperationalEndpointOut::from,
    )))
}

/// `POST …/endpoint`: 201.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<OperationalEndpointIn>,
) -> ApiResult<(StatusCode, Json<OperationalEndpointOut>)> {
    let now = state.clock.now();
    let ep = ops::operational::create(Ctx::of(&state), &caller, body.into(), now).await?;
    Ok((StatusCode::CREATED, Json(ep.into())))
}

/// `GET …/endpoint/{endpoint_id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    EndpointKey(key): EndpointKey,
) -> ApiResult<Json<OperationalEndpointOut>> {
    let ep = ops::operational::get(Ctx::of(&state), &caller, &key).await?;
    Ok(Json(ep.into()))
}

/// `PUT …/endpoint/{endpoint_id}`: 200 replaced (secret and headers kept), 201 created
/// with the path key as uid.
pub async fn upsert(
    State(state): State<AppState>,
    caller: Caller,
    EndpointKey(key): EndpointKey,
    ApiJson(body): ApiJson<OperationalEndpointIn>,
) -> ApiResult<(StatusCode, Json<OperationalEndpointOut>)> {
    let now = state.clock.now();
    let ep = ops::operational::upsert(Ctx::of(&state), &caller, &key, body.into(), now).await?;
    Ok(upserted(ep, OperationalEndpointOut::from))
}

/// `DELETE …/endpoint/{endpoint_id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    EndpointKey(key): EndpointKey,
) -> ApiResult<StatusCode> {
    ops::operational::delete(Ctx::of(&state), &caller, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/secret`.
pub async fn get_secret(
    State(state): State<AppState>,
    caller: Caller,
    EndpointKey(key): EndpointKey,
) -> ApiResult<Json<EndpointSecretOut>> {
    let key = ops::operational::secret(Ctx::of(&state), &caller, &key).await?;
    Ok(Json(EndpointSecretOut { key }))
}

/// `POST …/secret/rotate`: 204, as Svix answers it (the SDK returns nothing).
pub async fn rotate_secret(
    State(state): State<AppState>,
    caller: Caller,
    EndpointKey(key): EndpointKey,
    OptionalJson(body): OptionalJson<EndpointSecretRotateIn>,
) -> ApiResult<StatusCode> {
    let now = state.clock.now();
    ops::operational::rotate_secret(Ctx::of(&state), &caller, &key, body, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/headers`: values of credential-like headers are withheld, their names listed.
pub async fn get_headers(
    State(state): State<AppState>,
    caller: Caller,
    EndpointKey(key): EndpointKey,
) -> ApiResult<Json<EndpointHeadersOut>> {
    let all = ops::operational::headers(Ctx::of(&state), &caller, &key).await?;
    let (sensitive, headers): (BTreeMap<_, _>, BTreeMap<_, _>) =
        all.into_iter().partition(|(k, _)| is_sensitive_header(k));
    Ok(Json(EndpointHeadersOut {
        headers,
        sensitive: sensitive.into_keys().collect(),
    }))
}

/// `PUT …/headers`: replaces every header. 204.
pub async fn set_headers(
    State(state): State<AppState>,
    caller: Caller,
    EndpointKey(key): EndpointKey,
    ApiJson(body): ApiJson<EndpointHeadersIn>,
) -> ApiResult<StatusCode> {
    let now = state.clock.now();
    ops::operational::set_headers(Ctx::of(&state), &caller, &key, body.headers, now).await?;
    Ok(StatusCode::NO_CONTENT)
}
