//! `…/endpoint/{endpoint_id}/secret` and `…/secret/rotate`. The only routes that ever show
//! a secret.

use axum::extract::{Path, State};
use axum::Json;
use sluice_core::model::RetiredSecret;

use super::{load_app, load_endpoint, Scope};
use crate::api::extract::OptionalJson;
use crate::api::models::misc::{EndpointSecretOut, EndpointSecretRotateIn};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Grace period of the old secret after a rotation (Svix's default).
pub const DEFAULT_GRACE_SECS: i64 = 24 * 3600;
/// Longest grace period a caller may ask for.
pub const MAX_GRACE_SECS: i64 = 7 * 24 * 3600;
/// Most retired secrets that may be valid at once; each one adds a signature to every
/// delivery, so the header stays bounded.
pub const MAX_RETIRED_SECRETS: usize = 10;

/// `GET …/secret`: the current secret.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
) -> ApiResult<Json<EndpointSecretOut>> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let ep = load_endpoint(&state, &app, &ep_id).await?;
    let key = state.secrets.open(&ep.secret).map_err(ApiError::internal)?;
    Ok(Json(EndpointSecretOut { key }))
}

/// `POST …/secret/rotate`: the given (or a generated) key becomes current; the old one is
/// still signed with until the grace period ends. Answers 200 with the new key: the Svix
/// SDKs parse an `EndpointSecretOut` from this response.
pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    OptionalJson(body): OptionalJson<EndpointSecretRotateIn>,
) -> ApiResult<Json<EndpointSecretOut>> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let mut ep = load_endpoint(&state, &app, &ep_id).await?;
    if let Some(key) = &body.key {
        sluice_core::signing::validate_endpoint_secret(key)
            .map_err(|e| ApiError::validation(&["body", "key"], e.to_string()))?;
    }
    let grace = body.grace_period_seconds.unwrap_or(DEFAULT_GRACE_SECS);
    if !(0..=MAX_GRACE_SECS).contains(&grace) {
        return Err(ApiError::validation(
            &["body", "gracePeriodSeconds"],
            "must be between 0 and 7 days",
        ));
    }
    let now = sluice_core::now_millis();
    rotate_into(
        &mut ep.retired_secrets,
        ep.secret.clone(),
        now,
        grace * 1000,
    )?;
    let key = body
        .key
        .unwrap_or_else(sluice_core::signing::generate_secret);
    ep.secret = state.secrets.seal(&key);
    ep.updated_at = now;
    state.store.update_endpoint(ep).await?;
    Ok(Json(EndpointSecretOut { key }))
}

/// Retires `old` until `now + grace_ms`, dropping expired secrets; refuses (400
/// `limit_reached`) when that would leave more than [`MAX_RETIRED_SECRETS`] valid ones.
pub fn rotate_into(
    retired: &mut Vec<RetiredSecret>,
    old: Vec<u8>,
    now: i64,
    grace_ms: i64,
) -> ApiResult<()> {
    retired.retain(|r| r.expires_at > now);
    if grace_ms <= 0 {
        return Ok(());
    }
    if retired.len() >= MAX_RETIRED_SECRETS {
        return Err(ApiError::bad_request(
            "limit_reached",
            format!("At most {MAX_RETIRED_SECRETS} previous secrets may be valid at once; wait for one to expire"),
        ));
    }
    retired.push(RetiredSecret {
        sealed: old,
        expires_at: now + grace_ms,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_drops_expired_and_bounds_the_rest() {
        let mut retired = vec![RetiredSecret {
            sealed: vec![1],
            expires_at: 50,
        }];
        rotate_into(&mut retired, vec![2], 100, 1000).unwrap();
        assert_eq!(
            retired,
            vec![RetiredSecret {
                sealed: vec![2],
                expires_at: 1100
            }]
        );
        for i in 0..9 {
            rotate_into(&mut retired, vec![i], 100, 1000).unwrap();
        }
        assert_eq!(retired.len(), MAX_RETIRED_SECRETS);
        let err = rotate_into(&mut retired, vec![99], 100, 1000).unwrap_err();
        assert_eq!(err.status(), axum::http::StatusCode::BAD_REQUEST);
        // Once they expire, rotation works again.
        rotate_into(&mut retired, vec![7], 5000, 1000).unwrap();
        assert_eq!(retired.len(), 1);
        // A zero grace period retires nothing.
        rotate_into(&mut retired, vec![8], 5000, 0).unwrap();
        assert_eq!(retired.len(), 1);
    }
}
