//! Inbound sources: create, create-or-replace, delete, token rotation, and what a source
//! shows (its ingest URL). Sources are org-level objects: app-portal tokens are refused.
//!
//! Creating a source creates its application (uid = the source id) in the same
//! transaction; the source's endpoints, messages and attempts are that application's.

use sluice_core::ids;
use sluice_core::model::{Application, Source};
use sluice_core::Millis;
use sluice_store::{ConflictKind, StoreError};

use super::scope::{load_source, org_of, upsert_uid};
use super::{Ctx, Error, Problems, Result, Upserted};
use crate::api::models::source::SourceIn;
use crate::auth::Caller;
use crate::ingest::kinds::Settings;
use crate::ingest::sealed::{open_source, Stored};
use crate::ingest::tokens::{ingest_url, new_token, token_hash};

/// How long a rotated ingest token keeps working (Svix: 48 hours).
pub const TOKEN_GRACE_MS: Millis = 48 * 3_600_000;

/// Checks a body and parses its type and config (the provider registry's rules); every
/// problem is reported, located in the body.
fn checked(body: &SourceIn) -> Result<Settings> {
    let mut p = Problems::new();
    body.validate(&mut p);
    let settings = match Settings::parse(&body.kind, &body.config) {
        Ok(s) => Some(s),
        Err(problems) => {
            for (field, msg) in problems {
                p.add(&field, msg);
            }
            None
        }
    };
    p.finish()?;
    settings.ok_or_else(|| Error::internal("settings missing after validation"))
}

/// The id of the application of the caller's source `key`: a source's endpoints are that
/// application's, reached through the ordinary endpoint operations.
pub async fn app_of(ctx: Ctx<'_>, caller: &Caller, key: &str) -> Result<String> {
    Ok(load_source(ctx, caller, key).await?.app_id)
}

/// The source's current ingest URL (none for a source that receives nothing, e.g. cron),
/// and its config as shown (secrets withheld).
pub fn shown(ctx: Ctx<'_>, src: &Source) -> Result<(Option<String>, serde_json::Value)> {
    let opened = open_source(ctx.secrets, src).map_err(Error::internal)?;
    let url = if opened.settings.provider().is_none() {
        None
    } else {
        let token = ctx.secrets.open(&src.token).map_err(|_| {
            Error::internal("source token could not be unsealed (wrong encryption_key?)")
        })?;
        Some(ingest_url(&ctx.config.public_base(), &token))
    };
    Ok((url, opened.settings.config_out()))
}

/// Inserts the source with its application and a fresh token.
async fn insert(ctx: Ctx<'_>, org: &str, body: SourceIn, now: Millis) -> Result<Source> {
    let settings = checked(&body)?;
    let id = ids::new_id(ids::SOURCE, now);
    let app = Application {
        id: ids::new_id(ids::APP, now),
        org_id: org.to_string(),
        uid: Some(id.clone()),
        name: body.name.clone(),
        throttle_rate: None,
        metadata: Default::default(),
        created_at: now,
        updated_at: now,
    };
    let token = new_token();
    let src = Source {
        id,
        org_id: org.to_string(),
        app_id: app.id.clone(),
        uid: body.uid,
        name: body.name,
        kind: body.kind,
        config: Stored::new(settings.config).seal(ctx.secrets),
        token: ctx.secrets.seal(&token),
        metadata: body.metadata.unwrap_or_default(),
        created_at: now,
        updated_at: now,
    };
    ctx.store
        .create_source(app, src.clone(), token_hash(&token))
        .await?;
    Ok(src)
}

/// Creates a source.
pub async fn create(ctx: Ctx<'_>, caller: &Caller, body: SourceIn, now: Millis) -> Result<Source> {
    let org = org_of(caller)?;
    insert(ctx, org, body, now).await
}

/// Replaces the source `key` (its token kept; a changed provider secret stays accepted for
/// its grace period), or creates one with `key` as its uid.
pub async fn upsert(
    ctx: Ctx<'_>,
    caller: &Caller,
    key: &str,
    mut body: SourceIn,
    now: Millis,
) -> Result<Upserted<Source>> {
    let org = org_of(caller)?;
    let Some(mut src) = ctx.store.get_source(org, key).await? else {
        body.uid = Some(upsert_uid(key, ids::SOURCE, body.uid.as_deref())?);
        return insert(ctx, org, body, now).await.map(Upserted::Created);
    };
    let settings = checked(&body)?;
    let mut stored = Stored::open(ctx.secrets, &src.config).map_err(Error::internal)?;
    stored.replace(settings.config, now);
    src.config = stored.seal(ctx.secrets);
    // A body without uid keeps the current one: the SDK's upsert sends only what the
    // caller set, and the path may be that very uid.
    if body.uid.is_some() {
        src.uid = body.uid;
    }
    src.name = body.name;
    src.kind = body.kind;
    src.metadata = body.metadata.unwrap_or_default();
    src.updated_at = now;
    ctx.store.update_source(src.clone()).await?;
    Ok(Upserted::Existing(src))
}

/// Deletes the source with its endpoints, messages and attempts.
pub async fn delete(ctx: Ctx<'_>, caller: &Caller, key: &str) -> Result<()> {
    let src = load_source(ctx, caller, key).await?;
    match ctx.store.delete_source(&src.org_id, &src.id).await {
        Ok(()) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A new ingest token; the old one keeps working for 48 hours, and at most three rotated
/// tokens may be valid at once (`limit_reached`). Returns the new ingest URL.
pub async fn rotate_token(ctx: Ctx<'_>, caller: &Caller, key: &str, now: Millis) -> Result<String> {
    let src = load_source(ctx, caller, key).await?;
    let token = new_token();
    let rotated = ctx
        .store
        .rotate_source_token(
            &src.id,
            ctx.secrets.seal(&token),
            token_hash(&token),
            now + TOKEN_GRACE_MS,
            now,
        )
        .await;
    match rotated {
        Ok(()) => Ok(ingest_url(&ctx.config.public_base(), &token)),
        Err(StoreError::Conflict(ConflictKind::SourceTokenRotations)) => Err(Error::refused(
            "limit_reached",
            "The token can be rotated at most three times within 48 hours",
        )),
        Err(e) => Err(e.into()),
    }
}
