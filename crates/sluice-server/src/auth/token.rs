//! Signing and verifying the HS256 JWTs: what an org token and an app-portal token
//! claim, and the checks every token passes (signature, `exp` required, `nbf`) before its
//! store row and route are looked at (in [`super`]).

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::capability::Capabilities;
use super::Caller;

/// Svix's default organisation id (what `svix-server jwt generate` signs by default).
pub const DEFAULT_ORG: &str = "org_23rb8YdGqMT0qIzpgGwdXfHirMu";

/// Issuer written into tokens (informational; not checked, so Svix-issued tokens signed
/// with the same secret also work).
const ISSUER: &str = "sluice";

/// Default lifetime of org tokens (`sluice token`), in days: one year.
pub const ORG_TOKEN_TTL_DAYS: u32 = 365;
/// Longest lifetime `sluice token` signs: ten years, as Svix's `jwt generate`.
pub const MAX_ORG_TOKEN_TTL_DAYS: u32 = 3650;

/// Prefix of app-portal token ids (`jti`).
pub const PORTAL_TOKEN_PREFIX: &str = "ptok";

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    /// Required: `Option` only so that a token without it fails as "no expiry" (the
    /// validation's required claim) rather than as malformed JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    /// App-portal tokens only: the org of the application in `sub`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    org: Option<String>,
    /// App-portal tokens only: the token's row in the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
    /// App-portal tokens only: what the token may do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    capabilities: Option<Capabilities>,
}

fn sign(secret: &[u8], claims: &Claims) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("HS256 signing of plain claims cannot fail")
}

/// An org token for `org_id`, valid [`ORG_TOKEN_TTL_DAYS`].
pub fn issue_org_token(secret: &[u8], org_id: &str) -> String {
    issue_org_token_for(secret, org_id, i64::from(ORG_TOKEN_TTL_DAYS) * 24 * 3600)
}

/// An org token for `org_id`, valid `ttl_secs` from now.
pub fn issue_org_token_for(secret: &[u8], org_id: &str, ttl_secs: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    sign(
        secret,
        &Claims {
            iss: Some(ISSUER.into()),
            sub: org_id.into(),
            iat: Some(now),
            exp: Some(now.saturating_add(ttl_secs)),
            nbf: None,
            org: None,
            jti: None,
            capabilities: None,
        },
    )
}

/// What an app-portal token says; its `token_id` must have a row in the store.
#[derive(Debug, Clone)]
pub struct AppToken<'a> {
    /// The application's organisation.
    pub org_id: &'a str,
    /// The application (`app_…`).
    pub app_id: &'a str,
    /// The `jti`: the id of the token's row.
    pub token_id: &'a str,
    /// What it may do.
    pub capabilities: Capabilities,
    /// Issue time, seconds since the epoch.
    pub issued_at: i64,
    /// Expiry, seconds since the epoch.
    pub expires_at: i64,
}

/// Signs an app-portal token.
pub fn issue_app_token(secret: &[u8], t: &AppToken<'_>) -> String {
    sign(
        secret,
        &Claims {
            iss: Some(ISSUER.into()),
            sub: t.app_id.into(),
            iat: Some(t.issued_at),
            exp: Some(t.expires_at),
            nbf: None,
            org: Some(t.org_id.into()),
            jti: Some(t.token_id.into()),
            capabilities: Some(t.capabilities),
        },
    )
}

/// Verifies a bearer token's signature and claims (not yet its store row). Errors are the
/// `detail` of the 401.
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
    validation.set_required_spec_claims(&["sub", "exp"]);
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = false;
    validation.leeway = LEEWAY_SECS;
    let data =
        jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret), &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => "Token has expired".to_string(),
                ErrorKind::ImmatureSignature => "Token is not valid yet (nbf)".to_string(),
                ErrorKind::MissingRequiredClaim(c) if c == "exp" => {
                    "Token has no expiry (exp); tokens must expire (see `sluice token --ttl-days`)"
                        .to_string()
                }
                _ => "Invalid token".to_string(),
            })?;
    let claims = data.claims;
    if !valid_subject(&claims.sub) {
        return Err("Invalid token subject".into());
    }
    let Some(org) = claims.org else {
        return Ok(Caller::Org { org_id: claims.sub });
    };
    if !valid_subject(&org) {
        return Err("Invalid token org".into());
    }
    match (claims.jti, claims.capabilities) {
        (Some(token_id), Some(capabilities)) => Ok(Caller::App {
            org_id: org,
            app_id: claims.sub,
            token_id,
            capabilities,
        }),
        _ => Err(
            "App-portal token without a session (jti) or capabilities; get one from \
             /api/v1/auth/app-portal-access"
                .into(),
        ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::capability::Capability;

    const SECRET: &[u8] = b"test-secret";

    fn app_token(ttl: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        issue_app_token(
            SECRET,
            &AppToken {
                org_id: "org_a",
                app_id: "app_x",
                token_id: "ptok_1",
                capabilities: Capabilities::from_iter([Capability::ViewBase]),
                issued_at: now,
                expires_at: now + ttl,
            },
        )
    }

    fn raw(claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    }

    #[test]
    fn org_and_app_tokens_round_trip() {
        let t = issue_org_token(SECRET, DEFAULT_ORG);
        assert_eq!(
            verify_token(SECRET, &t),
            Ok(Caller::Org {
                org_id: DEFAULT_ORG.into()
            })
        );
        assert_eq!(
            verify_token(SECRET, &app_token(60)),
            Ok(Caller::App {
                org_id: "org_a".into(),
                app_id: "app_x".into(),
                token_id: "ptok_1".into(),
                capabilities: Capabilities::from_iter([Capability::ViewBase]),
            })
        );
    }

    #[test]
    fn forged_expired_and_raw_secret_are_refused() {
        let t = issue_org_token(b"other-secret", DEFAULT_ORG);
        assert!(verify_token(SECRET, &t).is_err());
        assert_eq!(
            verify_token(SECRET, &app_token(-3600)),
            Err("Token has expired".into())
        );
        assert!(verify_token(SECRET, "test-secret")
            .unwrap_err()
            .contains("secret itself"));
        assert!(verify_token(SECRET, "not.a.jwt").is_err());
    }

    #[test]
    fn exp_is_required_and_nbf_checked() {
        let now = chrono::Utc::now().timestamp();
        let no_exp = raw(serde_json::json!({"sub": DEFAULT_ORG, "iat": now}));
        assert!(verify_token(SECRET, &no_exp)
            .unwrap_err()
            .contains("no expiry"));
        let later =
            raw(serde_json::json!({"sub": DEFAULT_ORG, "exp": now + 600, "nbf": now + 300}));
        assert!(verify_token(SECRET, &later)
            .unwrap_err()
            .contains("not valid yet"));
        let ok = raw(serde_json::json!({"sub": DEFAULT_ORG, "exp": now + 600, "nbf": now - 1}));
        assert!(verify_token(SECRET, &ok).is_ok());
        // An app token must carry its session and capabilities.
        let bare = raw(serde_json::json!({"sub": "app_x", "org": "org_a", "exp": now + 600}));
        assert!(verify_token(SECRET, &bare).unwrap_err().contains("session"));
    }
}
