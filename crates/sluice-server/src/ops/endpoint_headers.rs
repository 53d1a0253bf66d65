//! An endpoint's custom delivery headers, sealed at rest: reading, replacing and patching
//! them. Both changes are edits of the row as stored (see [`super::endpoints`]), so a
//! header change and a concurrent PATCH of the endpoint both survive.

use std::collections::BTreeMap;

use sluice_core::model::Endpoint;
use sluice_core::secretbox::SecretBox;
use sluice_core::Millis;
use sluice_store::BoxError;

use super::scope::{load_app, load_endpoint, Scope};
use super::{Ctx, Error, Problems, Result};
use crate::api::models::misc::EndpointHeadersPatchIn;
use crate::api::validation;
use crate::auth::Caller;

/// The endpoint's custom headers, unsealed.
pub async fn get(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ep_key: &str,
) -> Result<BTreeMap<String, String>> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    open(ctx.secrets, &ep.headers)
}

/// Replaces every header.
pub async fn put(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ep_key: &str,
    headers: BTreeMap<String, String>,
    now: Millis,
) -> Result<()> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    check(&headers)?;
    let sealed = ctx.secrets.seal_headers(&headers);
    let edit = Box::new(move |ep: &mut Endpoint| {
        ep.headers = sealed;
        ep.updated_at = now;
        Ok(())
    });
    ctx.store.edit_endpoint(&app.id, &ep.id, edit).await?;
    Ok(())
}

/// Sets the given headers; a `null` value or a name in `deleteHeaders` removes one. Names
/// match case-insensitively, as HTTP header names do. The rules apply to the merged set.
pub async fn patch(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ep_key: &str,
    body: EndpointHeadersPatchIn,
    now: Millis,
) -> Result<()> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    let secrets = ctx.secrets.clone();
    // A refusal inside the edit comes back as this module's error (`Error::from`).
    let edit = Box::new(
        move |ep: &mut Endpoint| -> std::result::Result<(), BoxError> {
            let merged = merge(open(&secrets, &ep.headers)?, body);
            check(&merged)?;
            ep.headers = secrets.seal_headers(&merged);
            ep.updated_at = now;
            Ok(())
        },
    );
    ctx.store.edit_endpoint(&app.id, &ep.id, edit).await?;
    Ok(())
}

/// `headers` with the patch applied.
fn merge(
    mut headers: BTreeMap<String, String>,
    patch: EndpointHeadersPatchIn,
) -> BTreeMap<String, String> {
    let remove = |headers: &mut BTreeMap<String, String>, name: &str| {
        headers.retain(|k, _| !k.eq_ignore_ascii_case(name));
    };
    for name in patch.delete_headers.iter().flatten() {
        remove(&mut headers, name);
    }
    for (name, value) in patch.headers {
        remove(&mut headers, &name);
        if let Some(v) = value {
            headers.insert(name, v);
        }
    }
    headers
}

fn check(headers: &BTreeMap<String, String>) -> Result<()> {
    let mut p = Problems::new();
    validation::headers(headers, &mut p);
    p.finish()
}

/// Custom headers, unsealed.
fn open(secrets: &SecretBox, sealed: &[u8]) -> Result<BTreeMap<String, String>> {
    secrets.open_headers(sealed).map_err(|_| {
        Error::internal("endpoint headers could not be unsealed (wrong encryption_key?)")
    })
}
