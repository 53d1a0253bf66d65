//! `/api/v1/app`: list, create (`get_if_exists`), get, upsert, patch, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sluice_core::ids;
use sluice_store::{ConflictKind, Order, StoreError};

use super::{load_app, upsert_uid, Scope};
use crate::api::extract::{ApiJson, Params};
use crate::api::models::application::{ApplicationIn, ApplicationOut, ApplicationPatch};
use crate::api::pagination::{page_from, ListResponse};
use crate::api::validation::Problems;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `GET /app`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<ListResponse<ApplicationOut>>> {
    let org = caller.require_org()?;
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
    let org = caller.require_org()?;
    let mut p = Problems::new();
    body.validate(&mut p);
    p.finish()?;
    // The uid to return an existing app for, when asked to.
    let existing_uid = match params.bool("get_if_exists")? {
        Some(true) => body.uid.clone(),
        _ => None,
    };
    if let Some(uid) = &existing_uid {
        if let Some(existing) = state.store.get_app(org, uid).await? {
            return Ok((StatusCode::OK, Json(existing.into())));
        }
    }
    let now = sluice_core::now_millis();
    let app = body.into_app(ids::new_id(ids::APP, now), org, now);
    match state.store.create_app(app.clone()).await {
        Ok(()) => Ok((StatusCode::CREATED, Json(app.into()))),
        // A concurrent creator took the uid between our read and write: theirs is the one.
        Err(StoreError::Conflict(ConflictKind::AppUid)) if existing_uid.is_some() => {
            let uid = existing_uid.as_deref().unwrap_or_default();
            let existing = state
                .store
                .get_app(org, uid)
                .await?
                .ok_or_else(ApiError::not_found)?;
            Ok((StatusCode::OK, Json(existing.into())))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /app/{app_id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
) -> ApiResult<Json<ApplicationOut>> {
    Ok(Json(
        load_app(&state, &caller, &app_id, Scope::Portal)
            .await?
            .into(),
    ))
}

/// `PUT /app/{app_id}`: replaces an existing app (200) or creates one whose uid is the
/// path key (201).
pub async fn upsert(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    ApiJson(mut body): ApiJson<ApplicationIn>,
) -> ApiResult<(StatusCode, Json<ApplicationOut>)> {
    let org = caller.require_org()?;
    let now = sluice_core::now_millis();
    match state.store.get_app(org, &app_id).await? {
        Some(mut app) => {
            let mut p = Problems::new();
            body.validate(&mut p);
            p.finish()?;
            body.replace(&mut app, now);
            state.store.update_app(app.clone()).await?;
            Ok((StatusCode::OK, Json(app.into())))
        }
        None => {
            body.uid = Some(upsert_uid(&app_id, ids::APP, body.uid.as_deref())?);
            let mut p = Problems::new();
            body.validate(&mut p);
            p.finish()?;
            let app = body.into_app(ids::new_id(ids::APP, now), org, now);
            state.store.create_app(app.clone()).await?;
            Ok((StatusCode::CREATED, Json(app.into())))
        }
    }
}

/// `PATCH /app/{app_id}`.
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    ApiJson(body): ApiJson<ApplicationPatch>,
) -> ApiResult<Json<ApplicationOut>> {
    let mut app = load_app(&state, &caller, &app_id, Scope::Org).await?;
    let mut p = Problems::new();
    body.validate(&mut p);
    p.finish()?;
    body.apply(&mut app, sluice_core::now_millis());
    state.store.update_app(app.clone()).await?;
    Ok(Json(app.into()))
}

/// `DELETE /app/{app_id}`: 204. A source's application goes only with its source (409
/// here), so a source never points at a missing application.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
) -> ApiResult<StatusCode> {
    let app = load_app(&state, &caller, &app_id, Scope::Org).await?;
    if let Some(uid) = app.uid.as_deref().filter(|u| ids::is_id(ids::SOURCE, u)) {
        if state.store.get_source(&app.org_id, uid).await?.is_some() {
            return Err(ApiError::conflict(
                "This application belongs to an ingest source; delete the source instead",
            ));
        }
    }
    match state.store.delete_app(&app.org_id, &app.id).await {
        Ok(()) | Err(sluice_store::StoreError::NotFound) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(ApiError::from(e)),
    }
}
