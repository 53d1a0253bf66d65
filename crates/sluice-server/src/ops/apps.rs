//! Applications: create (optionally returning an existing one), create-or-replace, patch,
//! delete, and the inline creation other operations do (publishing, app-portal access).

use sluice_core::ids;
use sluice_core::model::Application;
use sluice_core::Millis;
use sluice_store::{ConflictKind, StoreError};

use super::scope::{find_app, load_app, org_of, upsert_uid, Scope};
use super::{Ctx, Error, Problems, Result, Upserted};
use crate::api::models::application::{ApplicationIn, ApplicationPatch};
use crate::auth::Caller;

/// Creates an application of the caller's org. With `get_if_exists` and a uid that is
/// taken, the existing application is the answer (also when a concurrent creator took the
/// uid between the check and the write: theirs is the one).
pub async fn create(
    ctx: Ctx<'_>,
    caller: &Caller,
    body: ApplicationIn,
    get_if_exists: bool,
    now: Millis,
) -> Result<Upserted<Application>> {
    let org = org_of(caller)?;
    let mut p = Problems::new();
    body.validate(&mut p);
    p.finish()?;
    let existing_uid = body.uid.clone().filter(|_| get_if_exists);
    if let Some(uid) = &existing_uid {
        if let Some(existing) = ctx.store.get_app(org, uid).await? {
            return Ok(Upserted::Existing(existing));
        }
    }
    let app = body.into_app(ids::new_id(ids::APP, now), org, now);
    match ctx.store.create_app(app.clone()).await {
        Ok(()) => Ok(Upserted::Created(app)),
        Err(StoreError::Conflict(ConflictKind::AppUid)) if existing_uid.is_some() => {
            let uid = existing_uid.as_deref().unwrap_or_default();
            let existing = ctx.store.get_app(org, uid).await?;
            existing
                .map(Upserted::Existing)
                .ok_or_else(Error::not_found)
        }
        Err(e) => Err(e.into()),
    }
}

/// Replaces the application `key` of the caller's org, or creates one whose uid is `key`.
pub async fn upsert(
    ctx: Ctx<'_>,
    caller: &Caller,
    key: &str,
    mut body: ApplicationIn,
    now: Millis,
) -> Result<Upserted<Application>> {
    let found = find_app(ctx, caller, key, Scope::Org).await?;
    let org = org_of(caller)?;
    match found {
        Some(app) => {
            let mut p = Problems::new();
            body.validate(&mut p);
            p.finish()?;
            // Applied to the row as stored, inside the write: a concurrent change of the
            // same application (on any node) is not overwritten with a stale copy.
            let edit = Box::new(move |a: &mut Application| {
                body.replace(a, now);
                Ok(())
            });
            let app = ctx.store.edit_app(&app.org_id, &app.id, edit).await?;
            Ok(Upserted::Existing(app))
        }
        None => {
            body.uid = Some(upsert_uid(key, ids::APP, body.uid.as_deref())?);
            let mut p = Problems::new();
            body.validate(&mut p);
            p.finish()?;
            let app = body.into_app(ids::new_id(ids::APP, now), org, now);
            ctx.store.create_app(app.clone()).await?;
            Ok(Upserted::Created(app))
        }
    }
}

/// Changes the fields the patch names.
pub async fn patch(
    ctx: Ctx<'_>,
    caller: &Caller,
    key: &str,
    body: ApplicationPatch,
    now: Millis,
) -> Result<Application> {
    let app = load_app(ctx, caller, key, Scope::Org).await?;
    let mut p = Problems::new();
    body.validate(&mut p);
    p.finish()?;
    let edit = Box::new(move |a: &mut Application| {
        body.apply(a, now);
        Ok(())
    });
    Ok(ctx.store.edit_app(&app.org_id, &app.id, edit).await?)
}

/// Deletes the application with everything in it. A source's application goes only with
/// its source (a conflict here), so a source never points at a missing application.
pub async fn delete(ctx: Ctx<'_>, caller: &Caller, key: &str) -> Result<()> {
    let app = load_app(ctx, caller, key, Scope::Org).await?;
    if super::scope::source_of(ctx, &app).await?.is_some() {
        return Err(Error::Conflict(
            "This application belongs to an ingest source; delete the source instead".into(),
        ));
    }
    match ctx.store.delete_app(&app.org_id, &app.id).await {
        // Gone already (a concurrent delete): the caller's wish holds.
        Ok(()) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The application `key` of the caller's org, created from `inline` (with `key` as its
/// uid) when the org has none; a missing app without `inline` is a 404. A concurrent
/// creator winning the race is fine: theirs is used. Publishing and app-portal access
/// create applications this way.
pub async fn find_or_create(
    ctx: Ctx<'_>,
    caller: &Caller,
    key: &str,
    inline: Option<ApplicationIn>,
    now: Millis,
) -> Result<Application> {
    if let Some(app) = find_app(ctx, caller, key, Scope::Org).await? {
        return Ok(app);
    }
    let Some(mut app_in) = inline else {
        return Err(Error::not_found());
    };
    let org = org_of(caller)?;
    let mut p = Problems::new();
    app_in.validate(&mut p);
    p.finish()?;
    app_in.uid = Some(upsert_uid(key, ids::APP, app_in.uid.as_deref())?);
    let app = app_in.into_app(ids::new_id(ids::APP, now), org, now);
    match ctx.store.create_app(app.clone()).await {
        Ok(()) => Ok(app),
        Err(StoreError::Conflict(ConflictKind::AppUid)) => ctx
            .store
            .get_app(org, key)
            .await?
            .ok_or_else(Error::not_found),
        Err(e) => Err(e.into()),
    }
}
