//! An endpoint's attempts by outcome over a window (`GET …/attempt-stats`).

use sluice_core::model::DeliveryStatus;
use sluice_core::Millis;

use super::scope::{load_app, load_endpoint, Scope};
use super::{Ctx, Error, Result};
use crate::auth::Caller;

const HOUR_MS: Millis = 3_600_000;
/// Default window: the last 28 days (as the delivery stats).
const DEFAULT_WINDOW_MS: Millis = 28 * 24 * HOUR_MS;

/// Attempts made in a window, by outcome.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AttemptCounts {
    /// Attempts that delivered.
    pub success: u64,
    /// Attempts that failed.
    pub fail: u64,
}

/// The window `[since, until)` rounded out to whole hours, as Svix documents for this
/// route: `since` down, `until` up (defaults: the last 28 days up to `now`).
pub fn hour_window(since: Option<Millis>, until: Option<Millis>, now: Millis) -> (Millis, Millis) {
    let until = until.unwrap_or(now);
    let since = since.unwrap_or(until - DEFAULT_WINDOW_MS);
    let up = until.div_euclid(HOUR_MS) * HOUR_MS;
    let until = if up == until { up } else { up + HOUR_MS };
    (since.div_euclid(HOUR_MS) * HOUR_MS, until)
}

/// Counts the endpoint's attempts made in the hour-rounded window.
pub async fn attempt_stats(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ep_key: &str,
    since: Option<Millis>,
    until: Option<Millis>,
    now: Millis,
) -> Result<AttemptCounts> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    if let (Some(s), Some(u)) = (since, until) {
        if s > u {
            return Err(Error::invalid(
                &["query", "since"],
                "must not be after until",
            ));
        }
    }
    let (since, until) = hour_window(since, until, now);
    let mut out = AttemptCounts::default();
    for (status, n) in ctx
        .store
        .endpoint_attempt_stats(&ep.id, since, until)
        .await?
    {
        match status {
            DeliveryStatus::Success => out.success += n,
            DeliveryStatus::Fail => out.fail += n,
            DeliveryStatus::Pending | DeliveryStatus::Sending => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_round_out_to_hours() {
        let h = HOUR_MS;
        assert_eq!(hour_window(Some(h + 5), Some(3 * h - 1), 0), (h, 3 * h));
        assert_eq!(hour_window(Some(h), Some(3 * h), 0), (h, 3 * h));
        assert_eq!(
            hour_window(None, None, 100 * 24 * h + 7),
            (72 * 24 * h, 100 * 24 * h + h)
        );
    }
}
