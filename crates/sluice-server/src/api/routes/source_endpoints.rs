//! `/ingest/api/v1/source/{source_id}/endpoint…`: a source's endpoints are the endpoints of
//! its application, so each handler here resolves the source (id or uid, org tokens only)
//! and hands over to the ordinary endpoint handler with the application's id.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::sources::load_source;
use super::{endpoint_headers, endpoint_secret, endpoints};
use crate::api::extract::{ApiJson, OptionalJson, Params};
use crate::api::models::endpoint::{EndpointIn, EndpointOut};
use crate::api::models::misc::{
    EndpointHeadersIn, EndpointHeadersOut, EndpointHeadersPatchIn, EndpointSecretOut,
    EndpointSecretRotateIn,
};
use crate::api::pagination::ListResponse;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// The id of the source's application.
async fn app_of(state: &AppState, caller: &Caller, source_id: &str) -> ApiResult<String> {
    Ok(load_source(state, caller, source_id).await?.app_id)
}

/// `GET …/endpoint`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(source_id): Path<String>,
    params: Params,
) -> ApiResult<Json<ListResponse<EndpointOut>>> {
    let app = app_of(&state, &caller, &source_id).await?;
    endpoints::list(State(state), caller, Path(app), params).await
}

/// `POST …/endpoint`: 201.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(source_id): Path<String>,
    body: ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    let app = app_of(&state, &caller, &source_id).await?;
    endpoints::create(State(state), caller, Path(app), body).await
}

/// `GET …/endpoint/{endpoint_id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((source_id, ep)): Path<(String, String)>,
) -> ApiResult<Json<EndpointOut>> {
    let app = app_of(&state, &caller, &source_id).await?;
    endpoints::get(State(state), caller, Path((app, ep))).await
}

/// `PUT …/endpoint/{endpoint_id}`.
pub async fn upsert(
    State(state): State<AppState>,
    caller: Caller,
    Path((source_id, ep)): Path<(String, String)>,
    body: ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    let app = app_of(&state, &caller, &source_id).await?;
    endpoints::upsert(State(state), caller, Path((app, ep)), body).await
}

/// `DELETE …/endpoint/{endpoint_id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((source_id, ep)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let app = app_of(&state, &caller, &source_id).await?;
    endpoints::delete(State(state), caller, Path((app, ep))).await
}

/// `GET …/secret`.
pub async fn get_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((source_id, ep)): Path<(String, String)>,
) -> ApiResult<Json<EndpointSecretOut>> {
    let app = app_of(&state, &caller, &source_id).await?;
    endpoint_secret::get(State(state), caller, Path((app, ep))).await
}

/// `POST …/secret/rotate`.
pub async fn rotate_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((source_id, ep)): Path<(String, String)>,
    body: OptionalJson<EndpointSecretRotateIn>,
) -> ApiResult<Json<EndpointSecretOut>> {
    let app = app_of(&state, &caller, &source_id).await?;
    endpoint_secret::rotate(State(state), caller, Path((app, ep)), body).await
}

/// `GET …/headers`.
pub async fn get_headers(
    State(state): State<AppState>,
    caller: Caller,
    Path((source_id, ep)): Path<(String, String)>,
) -> ApiResult<Json<EndpointHeadersOut>> {
    let app = app_of(&state, &caller, &source_id).await?;
    endpoint_headers::get(State(state), caller, Path((app, ep))).await
}

/// `PUT …/headers`: 204.
pub async fn put_headers(
    State(state): State<AppState>,
    caller: Caller,
    Path((source_id, ep)): Path<(String, String)>,
    body: ApiJson<EndpointHeadersIn>,
) -> ApiResult<StatusCode> {
    let app = app_of(&state, &caller, &source_id).await?;
    endpoint_headers::put(State(state), caller, Path((app, ep)), body).await
}

/// `PATCH …/headers`: 204.
pub async fn patch_headers(
    State(state): State<AppState>,
    caller: Caller,
    Path((source_id, ep)): Path<(String, String)>,
    body: ApiJson<EndpointHeadersPatchIn>,
) -> ApiResult<StatusCode> {
    let app = app_of(&state, &caller, &source_id).await?;
    endpoint_headers::patch(State(state), caller, Path((app, ep)), body).await
}
