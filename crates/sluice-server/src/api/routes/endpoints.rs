//! `/api/v1/app/{app_id}/endpoint`: list, create, get, upsert, patch, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sluice_core::ids;
use sluice_store::Order;

use super::{load_app, load_endpoint, upsert_uid, Scope};
use crate::api::extract::{ApiJson, Params};
use crate::api::models::endpoint::{EndpointIn, EndpointOut, EndpointPatch};
use crate::api::pagination::{page_from, ListResponse};
use crate::api::validation::Problems;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Checks an endpoint's event-type filter: when given it must be non-empty, and every name
/// must be a live (not archived) event type of the org — a typo would otherwise silently
/// filter out everything.
pub async fn check_event_types(
    state: &AppState,
    org_id: &str,
    types: Option<&[String]>,
    p: &mut Problems,
) -> ApiResult<()> {
    let Some(types) = types else { return Ok(()) };
    // A list already refused (too long, a malformed name) is not looked up name by name.
    if p.has("eventTypes") {
        return Ok(());
    }
    if types.is_empty() {
        p.add(
            "eventTypes",
            "must not be empty (omit it to receive every event type)",
        );
        return Ok(());
    }
    for name in types {
        match state.store.get_event_type(org_id, name).await? {
            Some(et) if !et.archived => {}
            Some(_) => p.add("eventTypes", format!("event type {name:?} is archived")),
            None => p.add("eventTypes", format!("event type {name:?} does not exist")),
        }
    }
    Ok(())
}

/// `GET …/endpoint`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    params: Params,
) -> ApiResult<Json<ListResponse<EndpointOut>>> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let page = page_from(&params, Order::Ascending, |k| ids::is_id(ids::ENDPOINT, k))?;
    let listed = state.store.list_endpoints(&app.id, page.clone()).await?;
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |e| e.id.clone(),
        EndpointOut::from,
    )))
}

/// Validates a full endpoint body, seals its secret (given or generated) and inserts it.
async fn insert(
    state: &AppState,
    org_id: &str,
    app_id: &str,
    body: EndpointIn,
    now: i64,
) -> ApiResult<EndpointOut> {
    let mut p = Problems::new();
    body.validate(&mut p);
    check_event_types(state, org_id, body.event_types.as_deref(), &mut p).await?;
    p.finish()?;
    let secret = body
        .secret
        .clone()
        .unwrap_or_else(sluice_core::signing::generate_secret);
    let sealed = state.secrets.seal(&secret);
    let ep = body.into_endpoint(
        ids::new_id(ids::ENDPOINT, now),
        app_id,
        sealed,
        &state.secrets,
        now,
    );
    state.store.create_endpoint(ep.clone()).await?;
    Ok(ep.into())
}

/// `POST …/endpoint`: 201.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    ApiJson(body): ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let out = insert(
        &state,
        &app.org_id,
        &app.id,
        body,
        sluice_core::now_millis(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// `GET …/endpoint/{endpoint_id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
) -> ApiResult<Json<EndpointOut>> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    Ok(Json(load_endpoint(&state, &app, &ep_id).await?.into()))
}

/// `PUT …/endpoint/{endpoint_id}`: 200 replaced (secret and headers kept), 201 created with
/// the path key as uid.
pub async fn upsert(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    ApiJson(mut body): ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let now = sluice_core::now_millis();
    match state.store.get_endpoint(&app.id, &ep_id).await? {
        Some(mut ep) => {
            body.secret = None;
            body.headers = None;
            let mut p = Problems::new();
            body.validate(&mut p);
            check_event_types(&state, &app.org_id, body.event_types.as_deref(), &mut p).await?;
            p.finish()?;
            body.replace(&mut ep, now);
            state.store.update_endpoint(ep.clone()).await?;
            Ok((StatusCode::OK, Json(ep.into())))
        }
        None => {
            body.uid = Some(upsert_uid(&ep_id, ids::ENDPOINT, body.uid.as_deref())?);
            let out = insert(&state, &app.org_id, &app.id, body, now).await?;
            Ok((StatusCode::CREATED, Json(out)))
        }
    }
}

/// `PATCH …/endpoint/{endpoint_id}`.
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<EndpointPatch>,
) -> ApiResult<Json<EndpointOut>> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let mut ep = load_endpoint(&state, &app, &ep_id).await?;
    let mut p = Problems::new();
    body.validate(&mut p);
    check_event_types(
        &state,
        &app.org_id,
        body.event_types.value().map(Vec::as_slice),
        &mut p,
    )
    .await?;
    p.finish()?;
    body.apply(&mut ep, sluice_core::now_millis());
    state.store.update_endpoint(ep.clone()).await?;
    Ok(Json(ep.into()))
}

/// `DELETE …/endpoint/{endpoint_id}`: 204. Unfinished deliveries go with it; attempt
/// history stays.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let ep = load_endpoint(&state, &app, &ep_id).await?;
    match state.store.delete_endpoint(&app.id, &ep.id).await {
        Ok(()) | Err(sluice_store::StoreError::NotFound) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(ApiError::from(e)),
    }
}
