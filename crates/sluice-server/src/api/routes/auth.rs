//! `/api/v1/auth`: app-portal access tokens and logout.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::create_inline_app;
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::OptionalJson;
use crate::api::models::misc::{AppPortalAccessIn, AppPortalAccessOut};
use crate::api::validation::Problems;
use crate::auth::{issue_app_token, Caller};
use crate::state::AppState;

/// Default (and longest) lifetime of an app-portal token: 28 days, as Svix OSS.
pub const APP_TOKEN_TTL_SECS: i64 = 28 * 24 * 3600;
/// Shortest lifetime a caller may ask for.
const MIN_APP_TOKEN_TTL_SECS: i64 = 3600;

/// `POST /auth/app-portal-access/{app_id}`: a token that reaches only this application
/// (its endpoints, messages, attempts) and can read event types. The app must exist in the
/// caller's org, or be created from the body's `application`.
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
    if !(MIN_APP_TOKEN_TTL_SECS..=APP_TOKEN_TTL_SECS).contains(&ttl) {
        return Err(ApiError::validation(
            &["body", "expiry"],
            "must be between 1 hour and 28 days",
        ));
    }
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
    let token = issue_app_token(&state.jwt_secret, org, &app.id, ttl);
    let base = state.config.public_base();
    Ok(Json(AppPortalAccessOut {
        url: format!("{base}/portal#token={token}"),
        token,
    }))
}

/// `POST /auth/logout`: tokens are stateless JWTs, so there is nothing to revoke; 204 as
/// Svix OSS.
pub async fn logout(_caller: Caller) -> StatusCode {
    StatusCode::NO_CONTENT
}
