//! `…/endpoint/{endpoint_id}/headers`: extra headers sent with every delivery, for
//! applications and sources alike.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::api::extract::ApiJson;
use crate::api::models::misc::{EndpointHeadersIn, EndpointHeadersOut, EndpointHeadersPatchIn};
use crate::api::owner::EndpointRef;
use crate::api::validation::is_sensitive_header;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::ops::{self, Ctx};
use crate::state::AppState;

/// `GET …/headers`: values of credential-like headers are withheld, their names listed.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    at: EndpointRef,
) -> ApiResult<Json<EndpointHeadersOut>> {
    let ctx = Ctx::of(&state);
    let app = at.owner.app_key(ctx, &caller).await?;
    let all = ops::endpoint_headers::get(ctx, &caller, &app, &at.endpoint).await?;
    let (sensitive, headers): (BTreeMap<_, _>, BTreeMap<_, _>) =
        all.into_iter().partition(|(k, _)| is_sensitive_header(k));
    Ok(Json(EndpointHeadersOut {
        headers,
        sensitive: sensitive.into_keys().collect(),
    }))
}

/// `PUT …/headers`: replaces every header. 204.
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    at: EndpointRef,
    ApiJson(body): ApiJson<EndpointHeadersIn>,
) -> ApiResult<StatusCode> {
    let ctx = Ctx::of(&state);
    let app = at.owner.app_key(ctx, &caller).await?;
    let now = state.clock.now();
    ops::endpoint_headers::put(ctx, &caller, &app, &at.endpoint, body.headers, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PATCH …/headers`: sets the given headers; a `null` value or a name in `deleteHeaders`
/// removes one (names match case-insensitively). 204.
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    at: EndpointRef,
    ApiJson(body): ApiJson<EndpointHeadersPatchIn>,
) -> ApiResult<StatusCode> {
    let ctx = Ctx::of(&state);
    let app = at.owner.app_key(ctx, &caller).await?;
    let now = state.clock.now();
    ops::endpoint_headers::patch(ctx, &caller, &app, &at.endpoint, body, now).await?;
    Ok(StatusCode::NO_CONTENT)
}
