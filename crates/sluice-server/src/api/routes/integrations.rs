//! `/api/v1/app/{app_id}/integration`: an application's integrations (Svix's
//! `svix.integration.*`) and their keys.
//!
//! A key is a secret: it is sealed at rest with the server's encryption key, stored with a
//! digest for lookups, shown only by the two key routes, and never logged. Every route
//! needs an org token: an integration hands out access to the application, so an
//! app-portal token may not mint one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use rand::distributions::{Alphanumeric, DistString};
use sluice_core::ids;
use sluice_core::model::{Application, Integration};
use sluice_store::Order;

use super::{load_app, Scope};
use crate::api::extract::{ApiJson, Params};
use crate::api::models::integration::{IntegrationIn, IntegrationKeyOut, IntegrationOut};
use crate::api::pagination::{page_from, ListResponse};
use crate::api::validation::Problems;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

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

async fn load(state: &AppState, app: &Application, id: &str) -> ApiResult<Integration> {
    state
        .store
        .get_integration(&app.id, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

fn checked(body: &IntegrationIn) -> ApiResult<()> {
    let mut p = Problems::new();
    body.validate(&mut p);
    p.finish()
}

/// `GET …/integration`: oldest first (`order=descending` for newest first).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    params: Params,
) -> ApiResult<Json<ListResponse<IntegrationOut>>> {
    let app = load_app(&state, &caller, &app_id, Scope::Org).await?;
    let page = page_from(&params, Order::Ascending, |k| {
        ids::is_id(ids::INTEGRATION, k)
    })?;
    let listed = state.store.list_integrations(&app.id, page.clone()).await?;
    Ok(Json(ListResponse::build(
        listed,
        &page,
        |i| i.id.clone(),
        IntegrationOut::from,
    )))
}

/// `POST …/integration`: 201 with the integration; its key is generated and sealed.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    ApiJson(body): ApiJson<IntegrationIn>,
) -> ApiResult<(StatusCode, Json<IntegrationOut>)> {
    checked(&body)?;
    let app = load_app(&state, &caller, &app_id, Scope::Org).await?;
    let now = sluice_core::now_millis();
    let key = new_key();
    let integ = Integration {
        id: ids::new_id(ids::INTEGRATION, now),
        app_id: app.id,
        name: body.name,
        feature_flags: body.feature_flags.unwrap_or_default(),
        key: state.secrets.seal(&key),
        created_at: now,
        updated_at: now,
    };
    state
        .store
        .create_integration(integ.clone(), key_hash(&key))
        .await?;
    Ok((StatusCode::CREATED, Json(integ.into())))
}

/// `GET …/integration/{integ_id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, integ_id)): Path<(String, String)>,
) -> ApiResult<Json<IntegrationOut>> {
    let app = load_app(&state, &caller, &app_id, Scope::Org).await?;
    Ok(Json(load(&state, &app, &integ_id).await?.into()))
}

/// `PUT …/integration/{integ_id}` (`IntegrationUpdate`): name and feature flags; absent
/// flags mean none. The key is unchanged.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, integ_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<IntegrationIn>,
) -> ApiResult<Json<IntegrationOut>> {
    checked(&body)?;
    let app = load_app(&state, &caller, &app_id, Scope::Org).await?;
    let mut integ = load(&state, &app, &integ_id).await?;
    integ.name = body.name;
    integ.feature_flags = body.feature_flags.unwrap_or_default();
    integ.updated_at = sluice_core::now_millis();
    state.store.update_integration(integ.clone()).await?;
    Ok(Json(integ.into()))
}

/// `DELETE …/integration/{integ_id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, integ_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let app = load_app(&state, &caller, &app_id, Scope::Org).await?;
    state.store.delete_integration(&app.id, &integ_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/integration/{integ_id}/key` (deprecated in the SDK, still called by it).
pub async fn get_key(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, integ_id)): Path<(String, String)>,
) -> ApiResult<Json<IntegrationKeyOut>> {
    let app = load_app(&state, &caller, &app_id, Scope::Org).await?;
    let integ = load(&state, &app, &integ_id).await?;
    let key = state.secrets.open(&integ.key).map_err(ApiError::internal)?;
    Ok(Json(IntegrationKeyOut { key }))
}

/// `POST …/integration/{integ_id}/key/rotate`: a new key; the previous one is revoked at
/// once (no grace period, as in Svix). 200 with the new key.
pub async fn rotate_key(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, integ_id)): Path<(String, String)>,
) -> ApiResult<Json<IntegrationKeyOut>> {
    let app = load_app(&state, &caller, &app_id, Scope::Org).await?;
    let integ = load(&state, &app, &integ_id).await?;
    let key = new_key();
    state
        .store
        .rotate_integration_key(
            &app.id,
            &integ.id,
            state.secrets.seal(&key),
            key_hash(&key),
            sluice_core::now_millis(),
        )
        .await?;
    Ok(Json(IntegrationKeyOut { key }))
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
