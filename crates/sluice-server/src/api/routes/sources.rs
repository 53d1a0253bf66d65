//! `/ingest/api/v1/source`: list, create, get, upsert, delete, and `…/token/rotate`. The
//! rules are in [`crate::ops::sources`]; a source's endpoints are served by the endpoint
//! handlers (see [`crate::api::owner`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sluice_core::ids;
use sluice_core::model::Source;
use sluice_store::{Listed, Order};

use super::upserted;
use crate::api::extract::{ApiJson, Params};
use crate::api::models::source::{RotateTokenOut, SourceIn, SourceOut};
use crate::api::pagination::{page_from, ListResponse};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::ops::{self, scope, Ctx};
use crate::state::AppState;

/// The wire form of a source: its current ingest URL and its config without secrets.
fn out(ctx: Ctx<'_>, src: Source) -> ApiResult<SourceOut> {
    let (url, config) = ops::sources::shown(ctx, &src)?;
    Ok(SourceOut::new(src, url, config))
}

/// `GET /source`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<ListResponse<SourceOut>>> {
    let ctx = Ctx::of(&state);
    let org = scope::org_of(&caller)?;
    let page = page_from(&params, Order::Ascending, |k| ids::is_id(ids::SOURCE, k))?;
    let listed = state.store.list_sources(org, page.clone()).await?;
    let items = listed
        .items
        .into_iter()
        .map(|s| out(ctx, s))
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

/// `POST /source`: 201.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SourceIn>,
) -> ApiResult<(StatusCode, Json<SourceOut>)> {
    let ctx = Ctx::of(&state);
    let src = ops::sources::create(ctx, &caller, body, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(out(ctx, src)?)))
}

/// `GET /source/{source_id}` (id or uid).
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(source_id): Path<String>,
) -> ApiResult<Json<SourceOut>> {
    let ctx = Ctx::of(&state);
    let src = scope::load_source(ctx, &caller, &source_id).await?;
    Ok(Json(out(ctx, src)?))
}

/// `PUT /source/{source_id}`: 200 replaced (token kept; a changed provider secret stays
/// accepted for its grace period), or 201 created with the path key as uid.
pub async fn upsert(
    State(state): State<AppState>,
    caller: Caller,
    Path(source_id): Path<String>,
    ApiJson(body): ApiJson<SourceIn>,
) -> ApiResult<(StatusCode, Json<SourceOut>)> {
    let ctx = Ctx::of(&state);
    let now = state.clock.now();
    let src = ops::sources::upsert(ctx, &caller, &source_id, body, now).await?;
    let (status, Json(src)) = upserted(src, |s| s);
    Ok((status, Json(out(ctx, src)?)))
}

/// `DELETE /source/{source_id}`: 204, with its endpoints, messages and attempts.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(source_id): Path<String>,
) -> ApiResult<StatusCode> {
    ops::sources::delete(Ctx::of(&state), &caller, &source_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /source/{source_id}/token/rotate`: a new ingest URL; the old one keeps working for
/// 48 hours. At most three rotated tokens may be valid at once (400 `limit_reached`).
pub async fn rotate_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(source_id): Path<String>,
) -> ApiResult<Json<RotateTokenOut>> {
    let now = state.clock.now();
    let ingest_url = ops::sources::rotate_token(Ctx::of(&state), &caller, &source_id, now).await?;
    Ok(Json(RotateTokenOut { ingest_url }))
}

/// `GET /ingest/api/v1/stats`: what the ingest route did for the caller's sources since
/// this process started (a Sluice addition; org tokens only).
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<crate::ingest::stats::StatsOut>> {
    let org = scope::org_of(&caller)?;
    Ok(Json(state.inbound.snapshot(org)))
}
