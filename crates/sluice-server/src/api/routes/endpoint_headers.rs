//! `…/endpoint/{endpoint_id}/headers`: extra headers sent with every delivery.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::{load_app, load_endpoint, Scope};
use crate::api::extract::ApiJson;
use crate::api::models::misc::{EndpointHeadersIn, EndpointHeadersOut, EndpointHeadersPatchIn};
use crate::api::validation::{self, is_sensitive_header, Problems};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `GET …/headers`: values of credential-like headers are withheld, their names listed.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
) -> ApiResult<Json<EndpointHeadersOut>> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let ep = load_endpoint(&state, &app, &ep_id).await?;
    let (sensitive, headers): (BTreeMap<_, _>, BTreeMap<_, _>) = open(&state, &ep.headers)?
        .into_iter()
        .partition(|(k, _)| is_sensitive_header(k));
    Ok(Json(EndpointHeadersOut {
        headers,
        sensitive: sensitive.into_keys().collect(),
    }))
}

/// `PUT …/headers`: replaces every header. 204.
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<EndpointHeadersIn>,
) -> ApiResult<StatusCode> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let mut ep = load_endpoint(&state, &app, &ep_id).await?;
    check(&body.headers)?;
    ep.headers = state.secrets.seal_headers(&body.headers);
    ep.updated_at = sluice_core::now_millis();
    state.store.update_endpoint(ep).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PATCH …/headers`: sets the given headers; a `null` value or a name in `deleteHeaders`
/// removes one. Names match case-insensitively, as HTTP header names do. 204.
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<EndpointHeadersPatchIn>,
) -> ApiResult<StatusCode> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let mut ep = load_endpoint(&state, &app, &ep_id).await?;
    let mut headers = open(&state, &ep.headers)?;
    let remove = |headers: &mut BTreeMap<String, String>, name: &str| {
        headers.retain(|k, _| !k.eq_ignore_ascii_case(name));
    };
    for name in body.delete_headers.iter().flatten() {
        remove(&mut headers, name);
    }
    for (name, value) in body.headers {
        remove(&mut headers, &name);
        if let Some(v) = value {
            headers.insert(name, v);
        }
    }
    check(&headers)?;
    ep.headers = state.secrets.seal_headers(&headers);
    ep.updated_at = sluice_core::now_millis();
    state.store.update_endpoint(ep).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn check(headers: &BTreeMap<String, String>) -> ApiResult<()> {
    let mut p = Problems::new();
    validation::headers(headers, &mut p);
    p.finish()
}

/// The endpoint's custom headers, unsealed.
fn open(state: &AppState, sealed: &[u8]) -> ApiResult<BTreeMap<String, String>> {
    state.secrets.open_headers(sealed).map_err(|_| {
        ApiError::internal("endpoint headers could not be unsealed (wrong encryption_key?)")
    })
}
