//! Bearer tokens, as Svix issues them: HS256 JWTs signed with the server's `jwt_secret`.
//!
//! - An **org token** has `sub` = the organisation id. Every object belongs to an org, so
//!   the org is simply whatever the caller's token names (as in Svix, any org id you sign
//!   becomes a tenant).
//! - An **app-portal token** has `sub` = an application id plus an `org` claim. It reaches
//!   only that application's routes (and reading event types); see [`Caller::App`].
//!
//! Handlers take a [`Caller`] argument; extracting it is the authentication.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::api::error::ApiError;
use crate::state::AppState;

/// Svix's default organisation id (what `svix-server jwt generate` signs by default).
pub const DEFAULT_ORG: &str = "org_23rb8YdGqMT0qIzpgGwdXfHirMu";

/// Issuer written into tokens (informational; not checked, so Svix-issued tokens signed
/// with the same secret also work).
const ISSUER: &str = "sluice";

/// Lifetime of org tokens: ten years, as Svix's generated tokens.
const ORG_TOKEN_TTL_SECS: i64 = 10 * 365 * 24 * 3600;

/// Clock skew tolerated on `exp`.
const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    /// Present only in app-portal tokens: the org of the application in `sub`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    org: Option<String>,
}

fn sign(secret: &[u8], claims: &Claims) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("HS256 signing of plain claims cannot fail")
}

/// An org token for `org_id` (valid ten years).
pub fn issue_org_token(secret: &[u8], org_id: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    sign(
        secret,
        &Claims {
            iss: Some(ISSUER.into()),
            sub: org_id.into(),
            iat: Some(now),
            exp: Some(now + ORG_TOKEN_TTL_SECS),
            org: None,
        },
    )
}

/// An app-portal token for one application of `org_id`, valid `ttl_secs`.
pub fn issue_app_token(secret: &[u8], org_id: &str, app_id: &str, ttl_secs: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    sign(
        secret,
        &Claims {
            iss: Some(ISSUER.into()),
            sub: app_id.into(),
            iat: Some(now),
            exp: Some(now + ttl_secs),
            org: Some(org_id.into()),
        },
    )
}

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
}

/// Verifies a bearer token. Errors are the `detail` of the 401.
pub fn verify_token(secret: &[u8], token: &str) -> Result<Caller, String> {
    // A common mistake is to send the signing secret itself; say so instead of "invalid".
    if constant_time_eq(token.as_bytes(), secret) {
        return Err(
            "The bearer token is the server's JWT secret itself; send a token signed with it \
                    (e.g. `sluice token`)"
                .into(),
        );
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["sub"]);
    validation.validate_aud = false;
    validation.leeway = LEEWAY_SECS;
    let data =
        jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret), &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    "Token has expired".to_string()
                }
                _ => "Invalid token".to_string(),
            })?;
    let claims = data.claims;
    if !valid_subject(&claims.sub) {
        return Err("Invalid token subject".into());
    }
    match claims.org {
        None => Ok(Caller::Org { org_id: claims.sub }),
        Some(org) if valid_subject(&org) => Ok(Caller::App {
            org_id: org,
            app_id: claims.sub,
        }),
        Some(_) => Err("Invalid token org".into()),
    }
}

/// Org and app ids are identifier-shaped (1–256 of `[a-zA-Z0-9-_.]`).
fn valid_subject(s: &str) -> bool {
    sluice_core::filter::validate_identifier(s, false).is_ok()
}

/// Equality whose time does not depend on where the inputs differ (`subtle` is not a
/// dependency of this crate, and this is the only comparison of secret material here).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
        verify_token(&state.jwt_secret, token).map_err(ApiError::unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret";

    #[test]
    fn org_and_app_tokens_round_trip() {
        let t = issue_org_token(SECRET, DEFAULT_ORG);
        assert_eq!(
            verify_token(SECRET, &t),
            Ok(Caller::Org {
                org_id: DEFAULT_ORG.into()
            })
        );
        let t = issue_app_token(SECRET, "org_a", "app_x", 60);
        assert_eq!(
            verify_token(SECRET, &t),
            Ok(Caller::App {
                org_id: "org_a".into(),
                app_id: "app_x".into()
            })
        );
    }

    #[test]
    fn forged_expired_and_raw_secret_are_refused() {
        let t = issue_org_token(b"other-secret", DEFAULT_ORG);
        assert!(verify_token(SECRET, &t).is_err());
        let t = issue_app_token(SECRET, "org_a", "app_x", -3600);
        assert_eq!(verify_token(SECRET, &t), Err("Token has expired".into()));
        assert!(verify_token(SECRET, "test-secret")
            .unwrap_err()
            .contains("secret itself"));
        assert!(verify_token(SECRET, "not.a.jwt").is_err());
    }

    #[test]
    fn require_org_rejects_app_tokens() {
        let app = Caller::App {
            org_id: "o".into(),
            app_id: "a".into(),
        };
        assert_eq!(
            app.require_org().unwrap_err().status(),
            axum::http::StatusCode::FORBIDDEN
        );
        assert_eq!(
            Caller::Org { org_id: "o".into() }.require_org().unwrap(),
            "o"
        );
    }
}
