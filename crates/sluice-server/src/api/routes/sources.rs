//! `/ingest/api/v1/source`: list, create, get, upsert, delete, and `…/token/rotate`.
//!
//! Creating a source creates its application (uid = the source id) in the same
//! transaction; the source's endpoints, messages and attempts are that application's, so the
//! ordinary `/api/v1/app/{source id}/…` routes reach them too. Sources are org-level
//! objects: app-portal tokens get 403.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sluice_core::ids;
use sluice_core::model::{Application, Source};
use sluice_store::{ConflictKind, Listed, Order, StoreError};

use super::upsert_uid;
use crate::api::extract::{ApiJson, Params};
use crate::api::models::source::{RotateTokenOut, SourceIn, SourceOut};
use crate::api::pagination::{page_from, ListResponse};
use crate::api::validation::Problems;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ingest::kinds::Settings;
use crate::ingest::sealed::{open_source, Stored};
use crate::ingest::tokens::{ingest_url, new_token, token_hash};
use crate::state::AppState;

/// How long a rotated ingest token keeps working (Svix: 48 hours).
pub const TOKEN_GRACE_MS: i64 = 48 * 3_600_000;

/// The source `id_or_uid` of the caller's org, or 404.
pub async fn load_source(state: &AppState, caller: &Caller, id_or_uid: &str) -> ApiResult<Source> {
    let org = caller.require_org()?;
    state
        .store
        .get_source(org, id_or_uid)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Checks a body and parses its type and config; problems are 422s located in the body.
fn checked(body: &SourceIn) -> ApiResult<Settings> {
    let mut p = Problems::new();
    body.validate(&mut p);
    let settings = match Settings::parse(&body.kind, &body.config) {
        Ok(s) => Some(s),
        Err(problems) => {
            for (field, msg) in problems {
                p.add(&field, msg);
            }
            None
        }
    };
    p.finish()?;
    settings.ok_or_else(|| ApiError::internal("settings missing after validation"))
}

/// The wire form of a source: its current ingest URL and its config without secrets.
fn out(state: &AppState, src: Source) -> ApiResult<SourceOut> {
    let opened = open_source(&state.secrets, &src).map_err(ApiError::internal)?;
    let url = if opened.settings.provider().is_none() {
        None
    } else {
        let token = state.secrets.open(&src.token).map_err(|_| {
            ApiError::internal("source token could not be unsealed (wrong encryption_key?)")
        })?;
        Some(ingest_url(&state.config.public_base(), &token))
    };
    Ok(SourceOut::new(src, url, opened.settings.config_out()))
}

/// `GET /source`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<ListResponse<SourceOut>>> {
    let org = caller.require_org()?;
    let page = page_from(&params, Order::Ascending, |k| ids::is_id(ids::SOURCE, k))?;
    let listed = state.store.list_sources(org, page.clone()).await?;
    let items = listed
        .items
        .into_iter()
        .map(|s| out(&state, s))
        .collect::<ApiResult<Vec<_>>>()?;
    let listed = Listed {
        items,
        has_more: listed.has_more,
    };
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |s| s.id.clone(),
        |s| s,
    )))
}

/// Validates a body and inserts the source with its application and a fresh token.
async fn insert(state: &AppState, org: &str, body: SourceIn, now: i64) -> ApiResult<SourceOut> {
    let settings = checked(&body)?;
    let id = ids::new_id(ids::SOURCE, now);
    let app = Application {
        id: ids::new_id(ids::APP, now),
        org_id: org.to_string(),
        uid: Some(id.clone()),
        name: body.name.clone(),
        throttle_rate: None,
        metadata: Default::default(),
        created_at: now,
        updated_at: now,
    };
    let token = new_token();
    let src = Source {
        id,
        org_id: org.to_string(),
        app_id: app.id.clone(),
        uid: body.uid,
        name: body.name,
        kind: body.kind,
        config: Stored::new(settings.config).seal(&state.secrets),
        token: state.secrets.seal(&token),
        metadata: body.metadata.unwrap_or_default(),
        created_at: now,
        updated_at: now,
    };
    state
        .store
        .create_source(app, src.clone(), token_hash(&token))
        .await?;
    out(state, src)
}

/// `POST /source`: 201.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SourceIn>,
) -> ApiResult<(StatusCode, Json<SourceOut>)> {
    let org = caller.require_org()?;
    let out = insert(&state, org, body, sluice_core::now_millis()).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// `GET /source/{source_id}` (id or uid).
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(source_id): Path<String>,
) -> ApiResult<Json<SourceOut>> {
    let src = load_source(&state, &caller, &source_id).await?;
    Ok(Json(out(&state, src)?))
}

/// `PUT /source/{source_id}`: 200 replaced (token kept; a changed provider secret stays
/// accepted for its grace period), or 201 created with the path key as uid.
pub async fn upsert(
    State(state): State<AppState>,
    caller: Caller,
    Path(source_id): Path<String>,
    ApiJson(body): ApiJson<SourceIn>,
) -> ApiResult<(StatusCode, Json<SourceOut>)> {
    let org = caller.require_org()?;
    let now = sluice_core::now_millis();
    match state.store.get_source(org, &source_id).await? {
        Some(mut src) => {
            let settings = checked(&body)?;
            let mut stored =
                Stored::open(&state.secrets, &src.config).map_err(ApiError::internal)?;
            stored.replace(settings.config, now);
            src.config = stored.seal(&state.secrets);
            // A body without uid keeps the current one: the SDK's upsert sends only what
            // the caller set, and the path may be that very uid.
            if body.uid.is_some() {
                src.uid = body.uid;
            }
            src.name = body.name;
            src.kind = body.kind;
            src.metadata = body.metadata.unwrap_or_default();
            src.updated_at = now;
            state.store.update_source(src.clone()).await?;
            Ok((StatusCode::OK, Json(out(&state, src)?)))
        }
        None => {
            let mut body = body;
            body.uid = Some(upsert_uid(&source_id, ids::SOURCE, body.uid.as_deref())?);
            let out = insert(&state, org, body, now).await?;
            Ok((StatusCode::CREATED, Json(out)))
        }
    }
}

/// `DELETE /source/{source_id}`: 204, with its endpoints, messages and attempts.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(source_id): Path<String>,
) -> ApiResult<StatusCode> {
    let src = load_source(&state, &caller, &source_id).await?;
    match state.store.delete_source(&src.org_id, &src.id).await {
        Ok(()) | Err(StoreError::NotFound) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(e.into()),
    }
}

/// `POST /source/{source_id}/token/rotate`: a new ingest URL; the old one keeps working for
/// 48 hours. At most three rotated tokens may be valid at once (400 `limit_reached`).
pub async fn rotate_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(source_id): Path<String>,
) -> ApiResult<Json<RotateTokenOut>> {
    let src = load_source(&state, &caller, &source_id).await?;
    let now = sluice_core::now_millis();
    let token = new_token();
    let rotated = state
        .store
        .rotate_source_token(
            &src.id,
            state.secrets.seal(&token),
            token_hash(&token),
            now + TOKEN_GRACE_MS,
            now,
        )
        .await;
    match rotated {
        Ok(()) => Ok(Json(RotateTokenOut {
            ingest_url: ingest_url(&state.config.public_base(), &token),
        })),
        Err(StoreError::Conflict(ConflictKind::SourceTokenRotations)) => {
            Err(ApiError::bad_request(
                "limit_reached",
                "The token can be rotated at most three times within 48 hours",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /ingest/api/v1/stats`: what the ingest route did for the caller's sources since
/// this process started (a Sluice addition; org tokens only).
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<crate::ingest::stats::StatsOut>> {
    let org = caller.require_org()?;
    Ok(Json(state.inbound.snapshot(org)))
}
