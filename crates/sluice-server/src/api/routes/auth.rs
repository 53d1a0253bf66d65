//! `/api/v1/auth`: app-portal access tokens, logout and expire-all; the rules are in
//! [`crate::ops::portal`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use crate::api::extract::OptionalJson;
use crate::api::models::misc::{AppPortalAccessIn, AppPortalAccessOut, ApplicationTokenExpireIn};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::ops::{self, Ctx};
use crate::state::AppState;

/// `POST /auth/app-portal-access/{app_id}`: a token that reaches only this application.
pub async fn app_portal_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    OptionalJson(body): OptionalJson<AppPortalAccessIn>,
) -> ApiResult<Json<AppPortalAccessOut>> {
    let now = state.clock.now();
    let access = ops::portal::access(Ctx::of(&state), &caller, &app_id, body, now).await?;
    Ok(Json(AppPortalAccessOut {
        url: access.url,
        token: access.token,
    }))
}

/// `POST /auth/logout`: ends the calling app-portal token at once, on every node. Org
/// tokens are not sessions and cannot be logged out (403, as the Svix SDK documents).
pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    ops::portal::logout(Ctx::of(&state), &caller, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /auth/app/{app_id}/expire-all` (`ApplicationTokenExpireIn`): the application's
/// app-portal tokens issued so far (or those of the listed `sessionIds`) stop working
/// after `expiry` seconds (default 0: now). 204.
pub async fn expire_all(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    OptionalJson(body): OptionalJson<ApplicationTokenExpireIn>,
) -> ApiResult<StatusCode> {
    let now = state.clock.now();
    ops::portal::expire_all(Ctx::of(&state), &caller, &app_id, body, now).await?;
    Ok(StatusCode::NO_CONTENT)
}
