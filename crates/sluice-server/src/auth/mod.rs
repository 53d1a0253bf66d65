//! Bearer tokens, as Svix issues them: HS256 JWTs signed with the server's `jwt_secret`.
//!
//! - An **org token** has `sub` = the organisation id. Every object belongs to an org, so
//!   the org is simply whatever the caller's token names (as in Svix, any org id you sign
//!   becomes a tenant).
//! - An **app-portal token** has `sub` = an application id plus an `org` claim, a `jti`
//!   naming its row in the store (so logout and expire-all can end it on every node) and the
//!   `capabilities` it was issued with ([`capability`]). It reaches only that application.
//!
//! Every token must carry `exp`; `nbf`, when present, is checked. Handlers take a
//! [`Caller`] argument: extracting it authenticates the token and authorises the matched
//! route against the table in [`table`], so a handler cannot skip either.

pub mod capability;
pub mod table;
mod token;

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use self::capability::Capabilities;
use self::table::Access;
pub use self::token::{
    issue_app_token, issue_org_token, issue_org_token_for, verify_token, AppToken, DEFAULT_ORG,
    MAX_ORG_TOKEN_TTL_DAYS, ORG_TOKEN_TTL_DAYS, PORTAL_TOKEN_PREFIX,
};
use crate::error::ApiError;
use crate::state::AppState;

/// Who is calling, as established by the bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Full access to one organisation.
    Org {
        /// The organisation.
        org_id: String,
    },
    /// App-portal access: one application of one organisation.
    App {
        /// The application's organisation.
        org_id: String,
        /// The only application this caller may reach (an `app_…` id).
        app_id: String,
        /// The token's `jti` (its row in the store; what logout ends).
        token_id: String,
        /// What the token may do there.
        capabilities: Capabilities,
    },
}

impl Caller {
    /// The organisation every object of this request belongs to.
    pub fn org_id(&self) -> &str {
        match self {
            Self::Org { org_id } | Self::App { org_id, .. } => org_id,
        }
    }

    /// The org id, or 403 for app-portal tokens (routes that manage the whole org).
    pub fn require_org(&self) -> Result<&str, ApiError> {
        match self {
            Self::Org { org_id } => Ok(org_id),
            Self::App { .. } => Err(ApiError::forbidden(
                "This route requires an organisation token",
            )),
        }
    }

    /// Whether this caller may use a route of `access`; the 403 says what is missing.
    pub fn authorize(&self, access: Access) -> Result<(), ApiError> {
        let Self::App { capabilities, .. } = self else {
            return Ok(());
        };
        match access {
            Access::AnyToken => Ok(()),
            Access::Portal(need) if capabilities.allows(need) => Ok(()),
            Access::Portal(need) => Err(ApiError::forbidden(format!(
                "This app-portal token lacks the {need:?} capability this route needs"
            ))),
            Access::Org => Err(ApiError::forbidden(
                "This route requires an organisation token",
            )),
        }
    }
}

/// An app-portal token is accepted only while its store row says so: this is what makes
/// logout and expire-all real, on every node sharing the store. One primary-key read;
/// org tokens (the ingest and publishing hot paths) never get here.
async fn check_session(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    let Caller::App {
        org_id,
        app_id,
        token_id,
        ..
    } = caller
    else {
        return Ok(());
    };
    let row = state.store.portal_token(token_id).await?;
    match row {
        Some(t) if t.org_id == *org_id && t.app_id == *app_id => {
            if state.clock.now() < t.valid_until {
                Ok(())
            } else {
                Err(ApiError::unauthorized(
                    "Token has been revoked (logout or expire-all)",
                ))
            }
        }
        _ => Err(ApiError::unauthorized("Unknown app-portal token")),
    }
}

/// The access the matched route requires. A route without a row is a bug: org-only in
/// release builds, a 500 naming it in debug builds (so its tests fail).
fn route_access(parts: &Parts) -> Result<Access, ApiError> {
    let path = parts
        .extensions
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    match path.and_then(|p| table::access(&parts.method, p)) {
        Some(access) => Ok(access),
        // Debug builds only, so the detail may say what is wrong.
        None if cfg!(debug_assertions) => Err(ApiError::http(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!(
                "route {} {} has no row in auth::table::ROUTES",
                parts.method,
                path.unwrap_or("(unmatched)")
            ),
        )),
        None => Ok(Access::Org),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("Missing Authorization header"))?
            .to_str()
            .map_err(|_| ApiError::unauthorized("Invalid Authorization header"))?;
        let token = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .ok_or_else(|| ApiError::unauthorized("Authorization must be 'Bearer <token>'"))?;
        let caller = verify_token(&state.jwt_secret, token).map_err(ApiError::unauthorized)?;
        // Authenticate fully (a revoked token is a 401 everywhere) before authorising.
        check_session(state, &caller).await?;
        caller.authorize(route_access(parts)?)?;
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::capability::Capability;
    use super::*;

    #[test]
    fn authorize_follows_the_grant() {
        let view = Caller::App {
            org_id: "o".into(),
            app_id: "a".into(),
            token_id: "t".into(),
            capabilities: Capabilities::from_iter([Capability::ViewBase]),
        };
        let forbidden = |r: Result<(), ApiError>| r.unwrap_err().status();
        assert!(view.authorize(Access::Portal(Capability::ViewBase)).is_ok());
        assert!(view.authorize(Access::AnyToken).is_ok());
        assert_eq!(
            forbidden(view.authorize(Access::Portal(Capability::ManageEndpoint))),
            axum::http::StatusCode::FORBIDDEN
        );
        assert_eq!(
            forbidden(view.authorize(Access::Org)),
            axum::http::StatusCode::FORBIDDEN
        );
        let org = Caller::Org { org_id: "o".into() };
        assert!(org.authorize(Access::Org).is_ok());
        assert!(org
            .authorize(Access::Portal(Capability::ManageEndpoint))
            .is_ok());
        assert_eq!(org.require_org().unwrap(), "o");
        assert!(view.require_org().is_err());
    }
}
