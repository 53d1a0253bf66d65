//! `/api/v1/auth`: app-portal access tokens, logout and expire-all.
//!
//! Every portal token has a row in the store (its `jti`), checked on each request by the
//! `Caller` extractor; logout and expire-all end rows, so they take effect on every node.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sluice_core::ids;
use sluice_store::PortalToken;

use super::{create_inline_app, source_of};
use crate::api::extract::OptionalJson;
use crate::api::models::misc::{AppPortalAccessIn, AppPortalAccessOut, ApplicationTokenExpireIn};
use crate::api::validation::Problems;
use crate::auth::{issue_app_token, AppToken, Caller, PORTAL_TOKEN_PREFIX};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Default (and longest) lifetime of an app-portal token: 28 days, as Svix OSS.
pub const APP_TOKEN_TTL_SECS: i64 = 28 * 24 * 3600;
/// Shortest lifetime a caller may ask for.
const MIN_APP_TOKEN_TTL_SECS: i64 = 3600;

/// `POST /auth/app-portal-access/{app_id}`: a token that reaches only this application,
/// with the body's `capabilities` (all by default; `readOnly` drops the changing ones)
/// and optional `sessionId`. The app must exist in the caller's org, or be created from
/// the body's `application`. A source's application gets no portal token: sources are
/// org-level objects.
///
/// `url` points at `/portal` with the token in the fragment. The portal UI is not built
/// yet, so today the link is only useful to carry the token; the token itself works
/// against the API.
pub async fn app_portal_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    OptionalJson(body): OptionalJson<AppPortalAccessIn>,
) -> ApiResult<Json<AppPortalAccessOut>> {
    let org = caller.require_org()?;
    let ttl = body.expiry.unwrap_or(APP_TOKEN_TTL_SECS);
    let mut p = Problems::new();
    if !(MIN_APP_TOKEN_TTL_SECS..=APP_TOKEN_TTL_SECS).contains(&ttl) {
        p.add("expiry", "must be between 1 hour and 28 days");
    }
    let capabilities = body.grant(&mut p);
    p.finish()?;
    let app = match state.store.get_app(org, &app_id).await? {
        Some(app) => app,
        None => match body.application {
            Some(app_in) => {
                let mut p = Problems::new();
                app_in.validate(&mut p);
                p.finish()?;
                create_inline_app(&state, org, &app_id, app_in, sluice_core::now_millis()).await?
            }
            None => return Err(ApiError::not_found()),
        },
    };
    if let Some(src) = source_of(&state, &app).await? {
        return Err(ApiError::forbidden(format!(
            "This application belongs to ingest source {src}; sources are managed with \
             organisation tokens only, so no app-portal token is issued for it"
        )));
    }
    let now = sluice_core::now_millis();
    let issued_at = now.div_euclid(1000);
    let expires_at = issued_at + ttl;
    let token_id = ids::new_id(PORTAL_TOKEN_PREFIX, now);
    state
        .store
        .create_portal_token(PortalToken {
            id: token_id.clone(),
            org_id: org.to_string(),
            app_id: app.id.clone(),
            session_id: body.session_id,
            created_at: now,
            valid_until: expires_at * 1000,
        })
        .await?;
    let token = issue_app_token(
        &state.jwt_secret,
        &AppToken {
            org_id: org,
            app_id: &app.id,
            token_id: &token_id,
            capabilities,
            issued_at,
            expires_at,
        },
    );
    let base = state.config.public_base();
    Ok(Json(AppPortalAccessOut {
        url: format!("{base}/portal#token={token}"),
        token,
    }))
}

/// `POST /auth/logout`: ends the calling app-portal token at once, on every node. Org
/// tokens are not sessions and cannot be logged out (403, as the Svix SDK documents).
pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    match &caller {
        Caller::Org { .. } => Err(ApiError::forbidden(
            "Only app-portal tokens can be logged out; an organisation token is valid until \
             its exp (changing jwt_secret invalidates all of them)",
        )),
        Caller::App { token_id, .. } => {
            state
                .store
                .revoke_portal_token(token_id, sluice_core::now_millis())
                .await?;
            Ok(StatusCode::NO_CONTENT)
        }
    }
}

/// `POST /auth/app/{app_id}/expire-all` (`ApplicationTokenExpireIn`): every app-portal
/// token of the application issued so far, or only those of the listed `sessionIds`, stops
/// working after `expiry` seconds (default 0: now). Tokens issued afterwards are not
/// affected. 204.
pub async fn expire_all(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    OptionalJson(body): OptionalJson<ApplicationTokenExpireIn>,
) -> ApiResult<StatusCode> {
    let org = caller.require_org()?;
    let mut p = Problems::new();
    body.validate(&mut p);
    p.finish()?;
    let app = state
        .store
        .get_app(org, &app_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let now = sluice_core::now_millis();
    let at = now + body.expiry.unwrap_or(0) * 1000;
    // An empty list names no session, so (as with no list) every token goes.
    let sessions = body.session_ids.filter(|ids| !ids.is_empty());
    let n = state
        .store
        .expire_portal_tokens(&app.id, sessions, at, now)
        .await?;
    tracing::info!(app.id = %app.id, tokens = n, "app-portal tokens expired");
    Ok(StatusCode::NO_CONTENT)
}
