//! Putting one delivery back in the queue and looking at an endpoint's: resend (one manual
//! try), send-example, and stats. Recover and the replays are background tasks
//! ([`super::redrive`]).

use serde_json::Value;
use sluice_core::ids;
use sluice_core::model::{DeliveryStatus, Message};
use sluice_core::Millis;
use sluice_store::{ConflictKind, StoreError};

use super::scope::{load_app, load_endpoint, load_message, Scope};
use super::{Ctx, Error, Result};
use crate::auth::Caller;

/// The built-in event type every endpoint can be sent an example of.
pub const PING_EVENT_TYPE: &str = "svix.ping";
/// Its payload.
pub const PING_PAYLOAD: &str = r#"{"success":true}"#;
/// Default window of the stats (Svix's longest).
const STATS_WINDOW_MS: Millis = 28 * 24 * 3_600_000;

/// Svix's refusal to resend a message whose payload is gone.
fn missing_payload() -> Error {
    Error::refused(
        "missing_payload",
        "Unable to resend message: its payload was expunged",
    )
}

/// Queues one manual try of the message to the endpoint, filters bypassed, due at `now`.
pub async fn resend(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    msg_key: &str,
    ep_key: &str,
    now: Millis,
) -> Result<()> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let msg = load_message(ctx, &app, msg_key).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    if msg.expunged_at.is_some() {
        return Err(missing_payload());
    }
    match ctx.store.resend(&msg.id, &ep.id, now).await {
        Ok(()) => Ok(()),
        // Expunged between the read above and the write.
        Err(StoreError::Conflict(ConflictKind::PayloadExpunged)) => Err(missing_payload()),
        Err(e) => Err(e.into()),
    }
}

/// The example payload of an event type: `schemas[<latest version>].examples[index]`,
/// which must be a JSON object.
fn schema_example(schemas: Option<&Value>, index: usize) -> Option<String> {
    let versions = schemas?.as_object()?;
    // Versions are keys like "1", "2": take the highest numeric one.
    let (_, schema) = versions
        .iter()
        .max_by_key(|(k, _)| k.parse::<u64>().unwrap_or(0))?;
    let examples = schema.get("examples")?.as_array()?;
    let example = examples.get(index).or_else(|| examples.first())?;
    example.is_object().then(|| example.to_string())
}

/// Publishes an example message of `event_type` to this endpoint only (filters bypassed).
/// [`PING_EVENT_TYPE`] is built in; other types need an example in their schema (404 for
/// an unknown type, invalid without an example). Returns the message.
pub async fn send_example(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ep_key: &str,
    event_type: String,
    example_index: Option<usize>,
    now: Millis,
) -> Result<Message> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    let payload = if event_type == PING_EVENT_TYPE {
        PING_PAYLOAD.to_string()
    } else {
        let et = ctx
            .store
            .get_event_type(&app.org_id, &event_type)
            .await?
            .ok_or(Error::NotFound("Event type not found"))?;
        schema_example(et.schemas.as_ref(), example_index.unwrap_or(0)).ok_or_else(|| {
            Error::invalid(
                &["body", "eventType"],
                "the event type's schema has no example object",
            )
        })?
    };
    let msg = Message {
        id: ids::new_id(ids::MESSAGE, now),
        app_id: app.id.clone(),
        event_type,
        payload,
        payload_expires_at: ctx
            .config
            .payload_retention_ms()
            .map(|ms| now.saturating_add(ms)),
        trace_context: crate::trace::current_traceparent(),
        created_at: now,
        ..Message::default()
    };
    ctx.store
        .create_message(msg.clone(), Some(ep.id), now)
        .await?;
    crate::telemetry::count_ingested(&msg.app_id, "api");
    Ok(msg)
}

/// Delivery counts of an endpoint by status.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Delivered.
    pub success: u64,
    /// Waiting for a try.
    pub pending: u64,
    /// In flight.
    pub sending: u64,
    /// Exhausted.
    pub fail: u64,
}

/// Counts of the endpoint's deliveries created in `[since, until]` (`until` defaults to
/// `now`, `since` to 28 days before `until`).
pub async fn stats(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    ep_key: &str,
    since: Option<Millis>,
    until: Option<Millis>,
    now: Millis,
) -> Result<Counts> {
    let app = load_app(ctx, caller, app_key, Scope::Portal).await?;
    let ep = load_endpoint(ctx, &app, ep_key).await?;
    let until = until.unwrap_or(now);
    let since = since.unwrap_or(until - STATS_WINDOW_MS);
    if since > until {
        return Err(Error::invalid(
            &["query", "since"],
            "must not be after until",
        ));
    }
    let mut out = Counts::default();
    for (status, n) in ctx.store.endpoint_stats(&ep.id, since, until).await? {
        match status {
            DeliveryStatus::Success => out.success += n,
            DeliveryStatus::Pending => out.pending += n,
            DeliveryStatus::Sending => out.sending += n,
            DeliveryStatus::Fail => out.fail += n,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn examples_come_from_the_latest_schema() {
        let schemas = json!({
            "1": {"examples": [{"v": 1}]},
            "2": {"examples": [{"v": 2}, {"v": 3}]}
        });
        assert_eq!(
            schema_example(Some(&schemas), 0).as_deref(),
            Some(r#"{"v":2}"#)
        );
        assert_eq!(
            schema_example(Some(&schemas), 1).as_deref(),
            Some(r#"{"v":3}"#)
        );
        assert_eq!(
            schema_example(Some(&schemas), 9).as_deref(),
            Some(r#"{"v":2}"#)
        );
        assert_eq!(
            schema_example(Some(&json!({"1": {"examples": [1]}})), 0),
            None
        );
        assert_eq!(schema_example(Some(&json!({"1": {}})), 0), None);
        assert_eq!(schema_example(None, 0), None);
    }
}
