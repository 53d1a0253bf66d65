//! An application's integrations (Svix's `svix.integration.*`) and their keys.
//!
//! A key is a secret: it is sealed at rest with the server's encryption key, stored with a
//! digest for lookups, shown only by [`get_key`] and [`rotate_key`], and never logged.
//! Every operation needs an org token: an integration hands out access to the
//! application, so an app-portal token may not mint one.

use rand::distributions::{Alphanumeric, DistString};
use sluice_core::ids;
use sluice_core::model::{Application, Integration};
use sluice_core::Millis;

use super::scope::{load_app, Scope};
use super::{Ctx, Error, Problems, Result};
use crate::api::models::integration::IntegrationIn;
use crate::auth::Caller;

/// Prefix of integration keys (Svix's).
pub const KEY_PREFIX: &str = "integsk_";
/// Random characters after the prefix (base62: about 190 bits).
const KEY_CHARS: usize = 32;

/// A new clear key.
fn new_key() -> String {
    let random = Alphanumeric.sample_string(&mut rand::thread_rng(), KEY_CHARS);
    format!("{KEY_PREFIX}{random}")
}

/// The digest a key is indexed by (the clear key is only ever inside the sealed column);
/// the same digest as ingest tokens'.
pub fn key_hash(key: &str) -> String {
    crate::ingest::tokens::token_hash(key)
}

fn checked(body: &IntegrationIn) -> Result<()> {
    let mut p = Problems::new();
    body.validate(&mut p);
    p.finish()
}

/// The application and its integration `id`, or 404.
async fn load(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    id: &str,
) -> Result<(Application, Integration)> {
    let app = load_app(ctx, caller, app_key, Scope::Org).await?;
    let integ = ctx
        .store
        .get_integration(&app.id, id)
        .await?
        .ok_or_else(Error::not_found)?;
    Ok((app, integ))
}

/// Creates an integration with a generated key (sealed).
pub async fn create(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    body: IntegrationIn,
    now: Millis,
) -> Result<Integration> {
    checked(&body)?;
    let app = load_app(ctx, caller, app_key, Scope::Org).await?;
    let key = new_key();
    let integ = Integration {
        id: ids::new_id(ids::INTEGRATION, now),
        app_id: app.id,
        name: body.name,
        feature_flags: body.feature_flags.unwrap_or_default(),
        key: ctx.secrets.seal(&key),
        created_at: now,
        updated_at: now,
    };
    ctx.store
        .create_integration(integ.clone(), key_hash(&key))
        .await?;
    Ok(integ)
}

/// One integration.
pub async fn get(ctx: Ctx<'_>, caller: &Caller, app_key: &str, id: &str) -> Result<Integration> {
    Ok(load(ctx, caller, app_key, id).await?.1)
}

/// Sets name and feature flags (absent flags mean none); the key is unchanged.
pub async fn update(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    id: &str,
    body: IntegrationIn,
    now: Millis,
) -> Result<Integration> {
    checked(&body)?;
    let (_, mut integ) = load(ctx, caller, app_key, id).await?;
    integ.name = body.name;
    integ.feature_flags = body.feature_flags.unwrap_or_default();
    integ.updated_at = now;
    ctx.store.update_integration(integ.clone()).await?;
    Ok(integ)
}

/// Deletes an integration (its key stops existing with it).
pub async fn delete(ctx: Ctx<'_>, caller: &Caller, app_key: &str, id: &str) -> Result<()> {
    let app = load_app(ctx, caller, app_key, Scope::Org).await?;
    Ok(ctx.store.delete_integration(&app.id, id).await?)
}

/// The integration's key, unsealed.
pub async fn get_key(ctx: Ctx<'_>, caller: &Caller, app_key: &str, id: &str) -> Result<String> {
    let (_, integ) = load(ctx, caller, app_key, id).await?;
    ctx.secrets.open(&integ.key).map_err(Error::internal)
}

/// A new key; the previous one is revoked at once (no grace period, as in Svix). Returns
/// the new key.
pub async fn rotate_key(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    id: &str,
    now: Millis,
) -> Result<String> {
    let (app, integ) = load(ctx, caller, app_key, id).await?;
    let key = new_key();
    ctx.store
        .rotate_integration_key(
            &app.id,
            &integ.id,
            ctx.secrets.seal(&key),
            key_hash(&key),
            now,
        )
        .await?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_long_distinct_and_hashed() {
        let (a, b) = (new_key(), new_key());
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_PREFIX));
        assert_eq!(a.len(), KEY_PREFIX.len() + KEY_CHARS);
        assert!(a[KEY_PREFIX.len()..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(key_hash(&a), key_hash(&a));
        assert_ne!(key_hash(&a), key_hash(&b));
        assert!(!key_hash(&a).contains(&a[KEY_PREFIX.len()..]));
    }
}
