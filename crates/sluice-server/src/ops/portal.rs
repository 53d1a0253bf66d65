//! App-portal access: issuing a token that reaches one application, logging one out, and
//! expiring an application's tokens.
//!
//! Every portal token has a row in the store (its `jti`), checked on each request when the
//! `Caller` is extracted; logout and expire-all end rows, so they take effect on every node.

use sluice_core::ids;
use sluice_core::Millis;
use sluice_store::PortalToken;

use super::scope::{load_app, org_of, source_of, Scope};
use super::{apps, Ctx, Error, Problems, Result};
use crate::api::models::misc::{AppPortalAccessIn, ApplicationTokenExpireIn};
use crate::auth::{issue_app_token, AppToken, Caller, PORTAL_TOKEN_PREFIX};

/// Default (and longest) lifetime of an app-portal token: 28 days, as Svix OSS.
pub const APP_TOKEN_TTL_SECS: i64 = 28 * 24 * 3600;
/// Shortest lifetime a caller may ask for.
const MIN_APP_TOKEN_TTL_SECS: i64 = 3600;

/// An issued app-portal token and the portal link that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// `/portal` with the token in the fragment. The portal UI is not built yet, so today
    /// the link only carries the token; the token itself works against the API.
    pub url: String,
    /// The signed token.
    pub token: String,
}

/// A token that reaches only the application `app_key`, with the body's capabilities (all
/// by default; `readOnly` drops the changing ones) and optional session id. The app must
/// exist in the caller's org, or be created from the body's `application`. A source's
/// application gets no portal token: sources are org-level objects.
pub async fn access(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    body: AppPortalAccessIn,
    now: Millis,
) -> Result<Access> {
    let org = org_of(caller)?;
    let ttl = body.expiry.unwrap_or(APP_TOKEN_TTL_SECS);
    let mut p = Problems::new();
    if !(MIN_APP_TOKEN_TTL_SECS..=APP_TOKEN_TTL_SECS).contains(&ttl) {
        p.add("expiry", "must be between 1 hour and 28 days");
    }
    let capabilities = body.grant(&mut p);
    p.finish()?;
    let app = apps::find_or_create(ctx, caller, app_key, body.application, now).await?;
    if let Some(src) = source_of(ctx, &app).await? {
        return Err(Error::Forbidden(format!(
            "This application belongs to ingest source {src}; sources are managed with \
             organisation tokens only, so no app-portal token is issued for it"
        )));
    }
    let issued_at = now.div_euclid(1000);
    let expires_at = issued_at + ttl;
    let token_id = ids::new_id(PORTAL_TOKEN_PREFIX, now);
    ctx.store
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
        ctx.jwt_secret,
        &AppToken {
            org_id: org,
            app_id: &app.id,
            token_id: &token_id,
            capabilities,
            issued_at,
            expires_at,
        },
    );
    let base = ctx.config.public_base();
    Ok(Access {
        url: format!("{base}/portal#token={token}"),
        token,
    })
}

/// Ends the calling app-portal token at once, on every node. Org tokens are not sessions
/// and cannot be logged out.
pub async fn logout(ctx: Ctx<'_>, caller: &Caller, now: Millis) -> Result<()> {
    match caller {
        Caller::Org { .. } => Err(Error::Forbidden(
            "Only app-portal tokens can be logged out; an organisation token is valid until \
             its exp (changing jwt_secret invalidates all of them)"
                .into(),
        )),
        Caller::App { token_id, .. } => Ok(ctx.store.revoke_portal_token(token_id, now).await?),
    }
}

/// Every app-portal token of the application issued so far, or only those of the listed
/// session ids, stops working after `expiry` seconds (default 0: now). Tokens issued
/// afterwards are not affected. Returns how many were shortened.
pub async fn expire_all(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    body: ApplicationTokenExpireIn,
    now: Millis,
) -> Result<u64> {
    org_of(caller)?;
    let mut p = Problems::new();
    body.validate(&mut p);
    p.finish()?;
    let app = load_app(ctx, caller, app_key, Scope::Org).await?;
    let at = now + body.expiry.unwrap_or(0) * 1000;
    // An empty list names no session, so (as with no list) every token goes.
    let sessions = body.session_ids.filter(|ids| !ids.is_empty());
    let n = ctx
        .store
        .expire_portal_tokens(&app.id, sessions, at, now)
        .await?;
    tracing::info!(app.id = %app.id, tokens = n, "app-portal tokens expired");
    Ok(n)
}
