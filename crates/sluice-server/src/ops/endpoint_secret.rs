//! An endpoint's signing secret: reading it, and rotating it with a grace period during
//! which the old one still signs (every delivery then carries one signature per valid
//! secret, so how many may be valid at once is bounded).

use sluice_core::model::{Endpoint, RetiredSecret};
use sluice_core::Millis;
use sluice_store::BoxError;

use super::scope::{load_app, load_endpoint, Scope};
use super::{Ctx, Error, Result};
use crate::api::models::misc::EndpointSecretRotateIn;
use crate::auth::Caller;

/// Grace period of the old secret after a rotation (Svix's default).
pub const DEFAULT_GRACE_SECS: i64 = 24 * 3600;
/// Longest grace period a caller may ask for.
pub const MAX_GRACE_SECS: i64 = 7 * 24 * 3600;
/// Most retired secrets that may be valid at once; each one adds a signature to every
/// delivery, so the header stays bounded.
pub const MAX_RETIRED_SECRETS: usize = 10;

/// The endpoint's current secret, unsealed.
pub async fn get(ctx: Ctx<'_>, caller: &Caller, app_key: &str, ep_key: &str) -> Result<String> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    ctx.secrets.open(&ep.secret).map_err(Error::internal)
}

/// Makes the given (or a generated) key current; the old one keeps signing until the
/// grace period ends. Returns the new key. The retired list is edited on the row as
/// stored, so concurrent rotations each retire the secret they replaced.
pub async fn rotate(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ep_key: &str,
    body: EndpointSecretRotateIn,
    now: Millis,
) -> Result<String> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    if let Some(key) = &body.key {
        sluice_core::signing::validate_endpoint_secret(key)
            .map_err(|e| Error::invalid(&["body", "key"], e.to_string()))?;
    }
    let grace = body.grace_period_seconds.unwrap_or(DEFAULT_GRACE_SECS);
    if !(0..=MAX_GRACE_SECS).contains(&grace) {
        return Err(Error::invalid(
            &["body", "gracePeriodSeconds"],
            "must be between 0 and 7 days",
        ));
    }
    let key = body
        .key
        .unwrap_or_else(sluice_core::signing::generate_secret);
    let sealed = ctx.secrets.seal(&key);
    // A refusal inside the edit comes back as this module's error (`Error::from`).
    let edit = Box::new(
        move |ep: &mut Endpoint| -> std::result::Result<(), BoxError> {
            let old = std::mem::replace(&mut ep.secret, sealed);
            rotate_into(&mut ep.retired_secrets, old, now, grace * 1000)?;
            ep.updated_at = now;
            Ok(())
        },
    );
    ctx.store.edit_endpoint(&app.id, &ep.id, edit).await?;
    Ok(key)
}

/// Retires `old` until `now + grace_ms`, dropping expired secrets; refuses
/// (`limit_reached`) when that would leave more than [`MAX_RETIRED_SECRETS`] valid ones.
pub fn rotate_into(
    retired: &mut Vec<RetiredSecret>,
    old: Vec<u8>,
    now: Millis,
    grace_ms: Millis,
) -> Result<()> {
    retired.retain(|r| r.expires_at > now);
    if grace_ms <= 0 {
        return Ok(());
    }
    if retired.len() >= MAX_RETIRED_SECRETS {
        return Err(Error::refused(
            "limit_reached",
            format!(
                "At most {MAX_RETIRED_SECRETS} previous secrets may be valid at once; wait \
                 for one to expire"
            ),
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
        assert!(matches!(
            err,
            Error::Refused {
                code: "limit_reached",
                ..
            }
        ));
        // Once they expire, rotation works again.
        rotate_into(&mut retired, vec![7], 5000, 1000).unwrap();
        assert_eq!(retired.len(), 1);
        // A zero grace period retires nothing.
        rotate_into(&mut retired, vec![8], 5000, 0).unwrap();
        assert_eq!(retired.len(), 1);
    }
}
