//! Which objects a caller reaches. [`load_app`] (and [`find_app`], for the operations that
//! create the application when it is missing) is the single place where org isolation
//! and the app-portal token's application are enforced: every app-scoped operation
//! resolves its application through it. What a portal token may do there is the
//! capability table's business (`auth::table`), checked when the `Caller` is extracted.

use sluice_core::ids;
use sluice_core::model::{Application, Endpoint, Message, Source};

use super::{Ctx, Error, Result};
use crate::auth::Caller;

/// Who may use an app-scoped operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Org tokens, and app-portal tokens of this very app.
    Portal,
    /// Org tokens only (publishing messages, changing or deleting the app itself).
    Org,
}

/// The caller's organisation, for operations on the whole org (applications, event types,
/// sources): app-portal tokens are refused.
pub fn org_of(caller: &Caller) -> Result<&str> {
    match caller {
        Caller::Org { org_id } => Ok(org_id),
        Caller::App { .. } => Err(org_only()),
    }
}

fn org_only() -> Error {
    Error::Forbidden("This route requires an organisation token".into())
}

/// The application `id_or_uid` of the caller's org, or `None` if the org has none of that
/// name (for operations that then create it). Org tokens see only their org's apps.
/// App-portal tokens get 403 for anything but their own app, whether or not it exists, so
/// they learn nothing about other apps; and 403 for a source's application (sources are
/// org-level objects), or where `scope` is [`Scope::Org`].
pub async fn find_app(
    ctx: Ctx<'_>,
    caller: &Caller,
    id_or_uid: &str,
    scope: Scope,
) -> Result<Option<Application>> {
    match caller {
        Caller::Org { org_id } => Ok(ctx.store.get_app(org_id, id_or_uid).await?),
        Caller::App { org_id, app_id, .. } => {
            if scope == Scope::Org {
                return Err(org_only());
            }
            let app = match ctx.store.get_app(org_id, id_or_uid).await? {
                Some(app) if app.id == *app_id => app,
                _ => {
                    return Err(Error::Forbidden(
                        "This token does not grant access to this application".into(),
                    ))
                }
            };
            // A portal token for a source's application (issued before that was refused)
            // must not add forwarding endpoints or read payloads.
            if source_of(ctx, &app).await?.is_some() {
                return Err(Error::Forbidden(
                    "This application belongs to an ingest source; sources need an \
                     organisation token"
                        .into(),
                ));
            }
            Ok(Some(app))
        }
    }
}

/// Like [`find_app`], with a missing application a 404.
pub async fn load_app(
    ctx: Ctx<'_>,
    caller: &Caller,
    id_or_uid: &str,
    scope: Scope,
) -> Result<Application> {
    find_app(ctx, caller, id_or_uid, scope)
        .await?
        .ok_or_else(Error::not_found)
}

/// The id of the source `app` backs, if any (a source's application has the source id
/// as its uid).
pub async fn source_of(ctx: Ctx<'_>, app: &Application) -> Result<Option<String>> {
    let Some(uid) = app.uid.as_deref().filter(|u| ids::is_id(ids::SOURCE, u)) else {
        return Ok(None);
    };
    Ok(ctx
        .store
        .get_source(&app.org_id, uid)
        .await?
        .map(|src| src.id))
}

/// An endpoint of `app` by id or uid, or 404.
pub async fn load_endpoint(ctx: Ctx<'_>, app: &Application, id_or_uid: &str) -> Result<Endpoint> {
    ctx.store
        .get_endpoint(&app.id, id_or_uid)
        .await?
        .ok_or_else(Error::not_found)
}

/// A message of `app` by id or event id, or 404.
pub async fn load_message(
    ctx: Ctx<'_>,
    app: &Application,
    id_or_event_id: &str,
) -> Result<Message> {
    ctx.store
        .get_message(&app.id, id_or_event_id)
        .await?
        .ok_or_else(Error::not_found)
}

/// The source `id_or_uid` of the caller's org (org tokens only), or 404.
pub async fn load_source(ctx: Ctx<'_>, caller: &Caller, id_or_uid: &str) -> Result<Source> {
    let org = org_of(caller)?;
    ctx.store
        .get_source(org, id_or_uid)
        .await?
        .ok_or_else(Error::not_found)
}

/// Whether `path_key` may become the uid of an entity created by an upsert: it must not
/// look like a generated id of `prefix` (a client cannot choose ids), and a uid in the
/// body must be the same.
pub fn upsert_uid(path_key: &str, prefix: &str, body_uid: Option<&str>) -> Result<String> {
    if ids::is_id(prefix, path_key) {
        return Err(Error::not_found());
    }
    match body_uid {
        Some(uid) if uid != path_key => Err(Error::invalid(
            &["body", "uid"],
            "must match the uid in the path when creating",
        )),
        _ => Ok(path_key.to_string()),
    }
}

/// For upserts keyed by a name (event types): a name in the body must match the path.
pub fn same_name_as_path(path_key: &str, body_key: Option<&str>) -> Result<()> {
    match body_key {
        Some(k) if k != path_key => Err(Error::invalid(
            &["body", "name"],
            "must match the name in the path",
        )),
        _ => Ok(()),
    }
}
