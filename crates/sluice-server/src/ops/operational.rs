//! Operational webhook endpoints (`/api/v1/operational-webhook/endpoint`): where an
//! organisation is told about its own endpoints and deliveries (`endpoint.disabled`,
//! `message.attempt.exhausted`, …).
//!
//! They are ordinary endpoints, sent to by Sluice's own engine, so signing, secrets and
//! their rotation, custom headers, retries, the breaker and throttling all apply. As in
//! Svix, they live in a reserved management organisation ([`MANAGEMENT_ORG`]) that holds
//! one application per customer org, whose uid is the customer's org id. A customer never
//! sees that application (it is in another org) and cannot reach it through
//! `/api/v1/app/…`; these operations are the only way in, each scoped by the caller's own
//! org. The application is created with the org's first operational endpoint; the
//! operational event types are seeded in the management org, so endpoints can filter on
//! them (`filterTypes`).

use std::collections::BTreeMap;

use sluice_core::ids;
use sluice_core::model::{Application, Endpoint, EventType};
use sluice_core::Millis;
use sluice_store::{ConflictKind, Listed, Page, StoreError};

use super::scope::org_of;
use super::{endpoint_headers, endpoint_secret, endpoints, Ctx, Error, Result, Upserted};
use crate::api::models::endpoint::EndpointIn;
use crate::api::models::misc::EndpointSecretRotateIn;
use crate::auth::Caller;

/// The organisation that holds every org's operational webhook application. Reserved:
/// no customer org has this id (org ids are what operators sign into tokens; this one is
/// Sluice's), and events about its own applications are never reported.
pub const MANAGEMENT_ORG: &str = "org_000000000SluiceManagement00";

/// The event types operational webhooks carry, with their descriptions: Svix's, then
/// Sluice's own.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    ("endpoint.created", "Sent when an endpoint is created."),
    ("endpoint.updated", "Sent when an endpoint is updated."),
    ("endpoint.deleted", "Sent when an endpoint is deleted."),
    (
        "endpoint.disabled",
        "Sent when an endpoint is disabled, by a user (trigger manual) or after failing \
         without a success for too long (trigger automatic).",
    ),
    (
        "endpoint.enabled",
        "Sent when a disabled endpoint is enabled again.",
    ),
    (
        "message.attempt.failing",
        "Sent after a message's delivery has failed a few times (on the fourth failure).",
    ),
    (
        "message.attempt.exhausted",
        "Sent when a message's delivery has failed all of its retries.",
    ),
    (
        "message.attempt.recovered",
        "Sent when a delivery succeeds after message.attempt.failing was sent.",
    ),
    (
        "message.attempt.auth_failed",
        "Sluice: sent when an endpoint answers 401 or 403.",
    ),
    (
        "endpoint.circuit.opened",
        "Sluice: sent when an endpoint's circuit breaker opens; its deliveries wait.",
    ),
    (
        "endpoint.circuit.closed",
        "Sluice: sent when an endpoint's circuit breaker closes again.",
    ),
    (
        "source.verification.failing",
        "Sluice: sent when a source rejects more requests than the threshold in a window.",
    ),
];

/// The caller acting on the management org: how the endpoint operations are reused here.
fn management() -> Caller {
    Caller::Org {
        org_id: MANAGEMENT_ORG.to_string(),
    }
}

/// The customer org a request acts for (org tokens only; the management org has no
/// operational webhooks of its own).
fn customer(caller: &Caller) -> Result<&str> {
    let org = org_of(caller)?;
    if org == MANAGEMENT_ORG {
        return Err(Error::Forbidden(
            "The management organisation has no operational webhooks".into(),
        ));
    }
    Ok(org)
}

/// The operational application of `org`, if it has one (it has had an operational
/// endpoint).
pub async fn app_of(ctx: Ctx<'_>, org: &str) -> Result<Option<Application>> {
    Ok(ctx.store.get_app(MANAGEMENT_ORG, org).await?)
}

/// The operational application of `org`, created if missing. Race-free across nodes: the
/// uid is unique in the management org, so a concurrent creator's application is read
/// back and used.
async fn ensure_app(ctx: Ctx<'_>, org: &str, now: Millis) -> Result<Application> {
    seed_event_types(ctx, now).await?;
    if let Some(app) = app_of(ctx, org).await? {
        return Ok(app);
    }
    let app = Application {
        id: ids::new_id(ids::APP, now),
        org_id: MANAGEMENT_ORG.to_string(),
        uid: Some(org.to_string()),
        name: format!("Operational webhooks of {org}"),
        throttle_rate: None,
        metadata: BTreeMap::new(),
        created_at: now,
        updated_at: now,
    };
    match ctx.store.create_app(app.clone()).await {
        Ok(()) => Ok(app),
        Err(StoreError::Conflict(ConflictKind::AppUid)) => {
            app_of(ctx, org).await?.ok_or_else(Error::not_found)
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates the operational event types in the management org where missing (idempotent;
/// a concurrent seeder's row is as good as ours). Run before operational endpoints are
/// created or replaced, so their `filterTypes` check finds the names.
pub async fn seed_event_types(ctx: Ctx<'_>, now: Millis) -> Result<()> {
    for (name, description) in EVENT_TYPES {
        if ctx
            .store
            .get_event_type(MANAGEMENT_ORG, name)
            .await?
            .is_some()
        {
            continue;
        }
        let et = EventType {
            org_id: MANAGEMENT_ORG.to_string(),
            name: (*name).to_string(),
            description: (*description).to_string(),
            schemas: None,
            archived: false,
            deprecated: false,
            feature_flag: None,
            created_at: now,
            updated_at: now,
        };
        match ctx.store.create_event_type(et).await {
            Ok(()) | Err(StoreError::Conflict(ConflictKind::EventTypeName)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The caller's operational application, or 404 (no operational endpoint was ever made).
async fn existing(ctx: Ctx<'_>, caller: &Caller) -> Result<Application> {
    app_of(ctx, customer(caller)?)
        .await?
        .ok_or_else(Error::not_found)
}

/// A page of the caller's operational endpoints (none before the first is created).
pub async fn list(ctx: Ctx<'_>, caller: &Caller, page: Page) -> Result<Listed<Endpoint>> {
    let Some(app) = app_of(ctx, customer(caller)?).await? else {
        return Ok(Listed {
            items: Vec::new(),
            has_more: false,
        });
    };
    endpoints::list(ctx, &management(), &app.id, page).await
}

/// Creates an operational endpoint (and the org's operational application, the first time).
pub async fn create(
    ctx: Ctx<'_>,
    caller: &Caller,
    body: EndpointIn,
    now: Millis,
) -> Result<Endpoint> {
    let app = ensure_app(ctx, customer(caller)?, now).await?;
    endpoints::create(ctx, &management(), &app.id, body, now).await
}

/// One operational endpoint, by id or uid.
pub async fn get(ctx: Ctx<'_>, caller: &Caller, ep_key: &str) -> Result<Endpoint> {
    let app = existing(ctx, caller).await?;
    endpoints::get(ctx, &management(), &app.id, ep_key).await
}

/// Replaces the operational endpoint `ep_key`, or creates one with it as its uid.
pub async fn upsert(
    ctx: Ctx<'_>,
    caller: &Caller,
    ep_key: &str,
    body: EndpointIn,
    now: Millis,
) -> Result<Upserted<Endpoint>> {
    let app = ensure_app(ctx, customer(caller)?, now).await?;
    endpoints::upsert(ctx, &management(), &app.id, ep_key, body, now).await
}

/// Deletes an operational endpoint.
pub async fn delete(ctx: Ctx<'_>, caller: &Caller, ep_key: &str) -> Result<()> {
    let app = existing(ctx, caller).await?;
    endpoints::delete(ctx, &management(), &app.id, ep_key).await
}

/// The operational endpoint's current signing secret.
pub async fn secret(ctx: Ctx<'_>, caller: &Caller, ep_key: &str) -> Result<String> {
    let app = existing(ctx, caller).await?;
    endpoint_secret::get(ctx, &management(), &app.id, ep_key).await
}

/// Rotates the operational endpoint's secret; the old one signs until the grace period
/// ends, as for any endpoint.
pub async fn rotate_secret(
    ctx: Ctx<'_>,
    caller: &Caller,
    ep_key: &str,
    body: EndpointSecretRotateIn,
    now: Millis,
) -> Result<String> {
    let app = existing(ctx, caller).await?;
    endpoint_secret::rotate(ctx, &management(), &app.id, ep_key, body, now).await
}

/// The operational endpoint's custom headers.
pub async fn headers(
    ctx: Ctx<'_>,
    caller: &Caller,
    ep_key: &str,
) -> Result<BTreeMap<String, String>> {
    let app = existing(ctx, caller).await?;
    endpoint_headers::get(ctx, &management(), &app.id, ep_key).await
}

/// Replaces the operational endpoint's custom headers.
pub async fn set_headers(
    ctx: Ctx<'_>,
    caller: &Caller,
    ep_key: &str,
    headers: BTreeMap<String, String>,
    now: Millis,
) -> Result<()> {
    let app = existing(ctx, caller).await?;
    endpoint_headers::put(ctx, &management(), &app.id, ep_key, headers, now).await
}
