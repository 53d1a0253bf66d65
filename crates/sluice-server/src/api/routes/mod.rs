//! Route handlers, one module per area, and the lookups they share. Every app-scoped
//! handler resolves its application through [`load_app`], which is where org isolation and
//! the app-portal token's application are enforced (what a portal token may do there is
//! the capability table's business, `auth::table`, checked when `Caller` is extracted).

pub mod applications;
pub mod attempts;
pub mod auth;
pub mod endpoint_headers;
pub mod endpoint_ops;
pub mod endpoint_secret;
pub mod endpoints;
pub mod event_types;
pub mod health;
pub mod integrations;
pub mod messages;
pub mod source_endpoints;
pub mod sources;

use sluice_core::ids;
use sluice_core::model::{Application, Endpoint, Message};
use sluice_store::{ConflictKind, StoreError};

use crate::api::models::application::ApplicationIn;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Who may use an app-scoped route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Org tokens, and app-portal tokens of this very app.
    Portal,
    /// Org tokens only (publishing messages, changing or deleting the app itself).
    Org,
}

/// The application `id_or_uid` of the caller's org. Org tokens get 404 for an app of
/// another org (it does not exist for them); app-portal tokens get 403 for anything but
/// their own app, whether or not it exists, so they learn nothing about other apps.
pub async fn load_app(
    state: &AppState,
    caller: &Caller,
    id_or_uid: &str,
    scope: Scope,
) -> ApiResult<Application> {
    match caller {
        Caller::Org { org_id } => state
            .store
            .get_app(org_id, id_or_uid)
            .await?
            .ok_or_else(ApiError::not_found),
        Caller::App { org_id, app_id, .. } => {
            if scope == Scope::Org {
                return Err(ApiError::forbidden(
                    "This route requires an organisation token",
                ));
            }
            let app = match state.store.get_app(org_id, id_or_uid).await? {
                Some(app) if app.id == *app_id => app,
                _ => {
                    return Err(ApiError::forbidden(
                        "This token does not grant access to this application",
                    ))
                }
            };
            // Sources are org-only: a portal token for a source's application (issued
            // before that was refused) must not add forwarding endpoints or read payloads.
            if source_of(state, &app).await?.is_some() {
                return Err(ApiError::forbidden(
                    "This application belongs to an ingest source; sources need an \
                     organisation token",
                ));
            }
            Ok(app)
        }
    }
}

/// The id of the source `app` backs, if any (a source's application has the source id
/// as its uid).
pub async fn source_of(state: &AppState, app: &Application) -> ApiResult<Option<String>> {
    let Some(uid) = app.uid.as_deref().filter(|u| ids::is_id(ids::SOURCE, u)) else {
        return Ok(None);
    };
    Ok(state
        .store
        .get_source(&app.org_id, uid)
        .await?
        .map(|src| src.id))
}

/// An endpoint of `app` by id or uid, or 404.
pub async fn load_endpoint(
    state: &AppState,
    app: &Application,
    id_or_uid: &str,
) -> ApiResult<Endpoint> {
    state
        .store
        .get_endpoint(&app.id, id_or_uid)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// A message of `app` by id or event id, or 404.
pub async fn load_message(
    state: &AppState,
    app: &Application,
    id_or_event_id: &str,
) -> ApiResult<Message> {
    state
        .store
        .get_message(&app.id, id_or_event_id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Whether `path_key` may become the uid of an entity created by an upsert: it must not
/// look like a generated id of `prefix` (a client cannot choose ids).
pub fn upsert_uid(path_key: &str, prefix: &str, body_uid: Option<&str>) -> ApiResult<String> {
    if sluice_core::ids::is_id(prefix, path_key) {
        return Err(ApiError::not_found());
    }
    match body_uid {
        Some(uid) if uid != path_key => Err(ApiError::validation(
            &["body", "uid"],
            "must match the uid in the path when creating",
        )),
        _ => Ok(path_key.to_string()),
    }
}

/// For upserts keyed by a name (event types): a name in the body must match the path.
pub fn same_name_as_path(path_key: &str, body_key: Option<&str>) -> ApiResult<()> {
    match body_key {
        Some(k) if k != path_key => Err(ApiError::validation(
            &["body", "name"],
            "must match the name in the path",
        )),
        _ => Ok(()),
    }
}

/// Creates the application named by the path from an inline `application` (message
/// create, app-portal access); its uid is the path key. A concurrent creator winning the
/// race is fine: use theirs.
pub async fn create_inline_app(
    state: &AppState,
    org: &str,
    path_key: &str,
    mut app_in: ApplicationIn,
    now: i64,
) -> ApiResult<Application> {
    app_in.uid = Some(upsert_uid(path_key, ids::APP, app_in.uid.as_deref())?);
    let app = app_in.into_app(ids::new_id(ids::APP, now), org, now);
    match state.store.create_app(app.clone()).await {
        Ok(()) => Ok(app),
        Err(StoreError::Conflict(ConflictKind::AppUid)) => state
            .store
            .get_app(org, path_key)
            .await?
            .ok_or_else(ApiError::not_found),
        Err(e) => Err(e.into()),
    }
}
