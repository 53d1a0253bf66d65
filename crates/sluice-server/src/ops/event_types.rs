//! Event types of an org: create (un-archiving an archived type of that name, as Svix
//! does), create-or-replace, patch, and delete (archive, or remove for good). Org tokens
//! only. Changes to an existing type are `Store::edit_event_type` calls, applied to the row
//! as stored inside the write, so concurrent changes on any node do not overwrite each other.

use sluice_core::model::EventType;
use sluice_core::Millis;
use sluice_store::StoreError;

use super::scope::{org_of, same_name_as_path};
use super::{Ctx, Error, Problems, Result, Upserted};
use crate::api::models::event_type::{EventTypeIn, EventTypePatch};
use crate::auth::Caller;

async fn load(ctx: Ctx<'_>, org: &str, name: &str) -> Result<EventType> {
    ctx.store
        .get_event_type(org, name)
        .await?
        .ok_or_else(Error::not_found)
}

/// Creates the event type the body names; a live type of that name is a conflict, an
/// archived one is replaced and un-archived.
pub async fn create(
    ctx: Ctx<'_>,
    caller: &Caller,
    body: EventTypeIn,
    now: Millis,
) -> Result<EventType> {
    let org = org_of(caller)?;
    let Some(name) = body.name.clone() else {
        return Err(Error::invalid(&["body", "name"], "field required"));
    };
    let mut p = Problems::new();
    body.validate(&name, &mut p);
    p.finish()?;
    let live = || Error::Conflict("An event type with this name already exists".into());
    if let Some(existing) = ctx.store.get_event_type(org, &name).await? {
        if !existing.archived {
            return Err(live());
        }
        // Re-checked on the row as stored: a concurrent create may have un-archived it.
        let edit = Box::new(move |et: &mut EventType| {
            if !et.archived {
                return Err("no longer archived".into());
            }
            body.replace(et, now);
            et.archived = false;
            Ok(())
        });
        return match ctx.store.edit_event_type(org, &name, edit).await {
            Err(StoreError::Declined(_)) => Err(live()),
            other => Ok(other?),
        };
    }
    let et = body.into_event_type(org, name, now);
    ctx.store.create_event_type(et.clone()).await?;
    Ok(et)
}

/// Replaces the event type `name`, or creates it.
pub async fn upsert(
    ctx: Ctx<'_>,
    caller: &Caller,
    name: &str,
    body: EventTypeIn,
    now: Millis,
) -> Result<Upserted<EventType>> {
    let org = org_of(caller)?;
    same_name_as_path(name, body.name.as_deref())?;
    let mut p = Problems::new();
    body.validate(name, &mut p);
    p.finish()?;
    match ctx.store.get_event_type(org, name).await? {
        Some(_) => {
            let edit = Box::new(move |et: &mut EventType| {
                body.replace(et, now);
                Ok(())
            });
            let et = ctx.store.edit_event_type(org, name, edit).await?;
            Ok(Upserted::Existing(et))
        }
        None => {
            let et = body.into_event_type(org, name.to_string(), now);
            ctx.store.create_event_type(et.clone()).await?;
            Ok(Upserted::Created(et))
        }
    }
}

/// Changes the fields the patch names.
pub async fn patch(
    ctx: Ctx<'_>,
    caller: &Caller,
    name: &str,
    body: EventTypePatch,
    now: Millis,
) -> Result<EventType> {
    let org = org_of(caller)?;
    let et = load(ctx, org, name).await?;
    let mut p = Problems::new();
    body.validate(&mut p);
    p.finish()?;
    let edit = Box::new(move |et: &mut EventType| {
        body.apply(et, now);
        Ok(())
    });
    Ok(ctx.store.edit_event_type(org, &et.name, edit).await?)
}

/// Archives the event type (endpoints filtering on it keep working; new endpoints cannot
/// subscribe to it), or with `expunge` removes it for good.
pub async fn delete(
    ctx: Ctx<'_>,
    caller: &Caller,
    name: &str,
    expunge: bool,
    now: Millis,
) -> Result<()> {
    let org = org_of(caller)?;
    let et = load(ctx, org, name).await?;
    if expunge {
        ctx.store.delete_event_type(org, &et.name).await?;
    } else if !et.archived {
        let edit = Box::new(move |et: &mut EventType| {
            if !et.archived {
                et.archived = true;
                et.updated_at = now;
            }
            Ok(())
        });
        ctx.store.edit_event_type(org, &et.name, edit).await?;
    }
    Ok(())
}
