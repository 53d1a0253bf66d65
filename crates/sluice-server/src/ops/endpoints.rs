//! Endpoints: create, create-or-replace, patch, delete, and the rule that an endpoint's
//! event-type filter names live event types. Each change is reported as an operational
//! event once committed ([`super::endpoint_events`]).
//!
//! Changes to an existing endpoint go through [`Store::edit_endpoint`]: the change is
//! applied to the row as it is inside the write, so two concurrent PATCHes of different
//! fields both survive (a read here and a whole-row write later would let the second
//! writer put back the first one's stale copy).
//!
//! [`Store::edit_endpoint`]: sluice_store::Store::edit_endpoint

use sluice_core::ids;
use sluice_core::model::{Application, Endpoint};
use sluice_core::Millis;
use sluice_store::{ConflictKind, Listed, Page, StoreError};

use super::endpoint_events::{self as events, SeenDisabled};
use super::scope::{load_app, load_endpoint, upsert_uid, Scope};
use super::{Ctx, Problems, Result, Upserted};
use crate::api::models::endpoint::{EndpointIn, EndpointPatch};
use crate::auth::Caller;

/// Checks an endpoint's event-type filter: when given it must be non-empty, and every name
/// must be a live (not archived) event type of the org — a typo would otherwise silently
/// filter out everything.
pub async fn check_event_types(
    ctx: Ctx<'_>,
    org_id: &str,
    types: Option<&[String]>,
    p: &mut Problems,
) -> Result<()> {
    let Some(types) = types else { return Ok(()) };
    // A list already refused (too long, a malformed name) is not looked up name by name.
    if p.has("eventTypes") {
        return Ok(());
    }
    if types.is_empty() {
        p.add(
            "eventTypes",
            "must not be empty (omit it to receive every event type)",
        );
        return Ok(());
    }
    for name in types {
        match ctx.store.get_event_type(org_id, name).await? {
            Some(et) if !et.archived => {}
            Some(_) => p.add("eventTypes", format!("event type {name:?} is archived")),
            None => p.add("eventTypes", format!("event type {name:?} does not exist")),
        }
    }
    Ok(())
}

/// Field rules and the event-type rule of a full endpoint body, reported together.
async fn check_full(ctx: Ctx<'_>, app: &Application, body: &EndpointIn) -> Result<()> {
    let mut p = Problems::new();
    body.validate(&mut p);
    check_event_types(ctx, &app.org_id, body.event_types.as_deref(), &mut p).await?;
    p.finish()
}

/// The new endpoint row of a body, its secret (given or generated) sealed.
fn new_row(ctx: Ctx<'_>, app: &Application, body: EndpointIn, now: Millis) -> Endpoint {
    let secret = body
        .secret
        .clone()
        .unwrap_or_else(sluice_core::signing::generate_secret);
    let sealed = ctx.secrets.seal(&secret);
    body.into_endpoint(
        ids::new_id(ids::ENDPOINT, now),
        &app.id,
        sealed,
        ctx.secrets,
        now,
    )
}

/// Creates an endpoint of the application `app_key`.
pub async fn create(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    body: EndpointIn,
    now: Millis,
) -> Result<Endpoint> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    check_full(ctx, &app, &body).await?;
    let ep = new_row(ctx, &app, body, now);
    ctx.store.create_endpoint(ep.clone()).await?;
    events::created(ctx, &app, &ep);
    Ok(ep)
}

/// Replaces the endpoint `ep_key` (its secret and headers are kept: they have their own
/// operations), or creates one with `ep_key` as its uid. Two concurrent creating upserts of
/// one uid end as one endpoint: the loser replaces the winner's.
pub async fn upsert(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ep_key: &str,
    mut body: EndpointIn,
    now: Millis,
) -> Result<Upserted<Endpoint>> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    if let Some(ep) = ctx.store.get_endpoint(&app.id, ep_key).await? {
        return replace(ctx, &app, &ep.id, body, now)
            .await
            .map(Upserted::Existing);
    }
    body.uid = Some(upsert_uid(ep_key, ids::ENDPOINT, body.uid.as_deref())?);
    check_full(ctx, &app, &body).await?;
    let ep = new_row(ctx, &app, body.clone(), now);
    match ctx.store.create_endpoint(ep.clone()).await {
        Ok(()) => {
            events::created(ctx, &app, &ep);
            Ok(Upserted::Created(ep))
        }
        Err(StoreError::Conflict(ConflictKind::EndpointUid)) => {
            match ctx.store.get_endpoint(&app.id, ep_key).await? {
                Some(ep) => replace(ctx, &app, &ep.id, body, now)
                    .await
                    .map(Upserted::Existing),
                // Created and deleted again meanwhile: report the clash as it happened.
                None => Err(StoreError::Conflict(ConflictKind::EndpointUid).into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// PUT on an existing endpoint: every configurable field from the body, in one edit.
async fn replace(
    ctx: Ctx<'_>,
    app: &Application,
    ep_id: &str,
    mut body: EndpointIn,
    now: Millis,
) -> Result<Endpoint> {
    body.secret = None;
    body.headers = None;
    check_full(ctx, app, &body).await?;
    let seen = SeenDisabled::default();
    let saw = seen.clone();
    let edit = Box::new(move |ep: &mut Endpoint| {
        saw.saw(ep);
        body.replace(ep, now);
        Ok(())
    });
    let ep = ctx.store.edit_endpoint(&app.id, ep_id, edit).await?;
    events::updated(ctx, app, &seen, &ep);
    Ok(ep)
}

/// Changes the fields the patch names, on the endpoint as stored when the change is
/// written (so concurrent patches of other fields are kept).
pub async fn patch(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ep_key: &str,
    body: EndpointPatch,
    now: Millis,
) -> Result<Endpoint> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    let mut p = Problems::new();
    body.validate(&mut p);
    let types = body.event_types.value().map(Vec::as_slice);
    check_event_types(ctx, &app.org_id, types, &mut p).await?;
    p.finish()?;
    let seen = SeenDisabled::default();
    let saw = seen.clone();
    let edit = Box::new(move |ep: &mut Endpoint| {
        saw.saw(ep);
        body.apply(ep, now);
        Ok(())
    });
    let ep = ctx.store.edit_endpoint(&app.id, &ep.id, edit).await?;
    events::updated(ctx, &app, &seen, &ep);
    Ok(ep)
}

/// Deletes the endpoint; its unfinished deliveries go with it, attempt history stays.
/// `endpoint.deleted` is reported by whoever's delete removed the row.
pub async fn delete(ctx: Ctx<'_>, caller: &Caller, app_key: &str, ep_key: &str) -> Result<()> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    match ctx.store.delete_endpoint(&app.id, &ep.id).await {
        Ok(()) => {
            events::deleted(ctx, &app, &ep);
            Ok(())
        }
        Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A page of the application's endpoints, by id.
pub async fn list(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    page: Page,
) -> Result<Listed<Endpoint>> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    Ok(ctx.store.list_endpoints(&app.id, page).await?)
}

/// One endpoint of the application.
pub async fn get(ctx: Ctx<'_>, caller: &Caller, app_key: &str, ep_key: &str) -> Result<Endpoint> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    load_endpoint(ctx, &app, ep_key).await
}
