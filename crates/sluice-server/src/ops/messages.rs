//! Publishing a message and expunging its payload.
//!
//! Publishing is the hot path (benchmarked): one `get_app` read and one `create_message`
//! write (message + fan-out in one transaction). The payload is carried as the raw JSON
//! text received and never re-serialised.

use serde_json::value::RawValue;
use sluice_core::ids;
use sluice_core::model::Message;
use sluice_core::Millis;

use super::scope::{load_app, load_message, org_of, Scope};
use super::{apps, Ctx, Error, Problems, Result};
use crate::api::extract::parse_time;
use crate::api::models::message::MessageIn;
use crate::api::models::payload_out;
use crate::auth::Caller;
use crate::config::{Config, DAY_MS};

/// How far ahead `deliverAt` may be (Svix's bound: five days).
pub const MAX_DELIVER_AHEAD_MS: Millis = 5 * 24 * 3600 * 1000;

/// Svix's bounds of `payloadRetentionPeriod`, in days. A server whose default
/// (`payload_retention_days`) is longer accepts up to its default.
pub const RETENTION_DAYS: (i64, i64) = (5, 90);

/// How long to keep the payload of a message, in milliseconds: the message's
/// `payloadRetentionPeriod` (days) or `payloadRetentionHours`, else the server's default
/// (`None`: kept until expunged). Both at once, or a value out of bounds, is refused.
fn retention_ms(body: &MessageIn, config: &Config) -> Result<Option<Millis>> {
    let max_days = RETENTION_DAYS
        .1
        .max(i64::from(config.payload_retention_days));
    match (body.payload_retention_period, body.payload_retention_hours) {
        (Some(_), Some(_)) => Err(Error::invalid(
            &["body", "payloadRetentionHours"],
            "payloadRetentionPeriod and payloadRetentionHours are mutually exclusive",
        )),
        (Some(days), None) if !(RETENTION_DAYS.0..=max_days).contains(&days) => {
            Err(Error::invalid(
                &["body", "payloadRetentionPeriod"],
                format!("must be from {} to {max_days} days", RETENTION_DAYS.0),
            ))
        }
        (Some(days), None) => Ok(Some(days * DAY_MS)),
        (None, Some(hours)) if !(1..=max_days * 24).contains(&hours) => Err(Error::invalid(
            &["body", "payloadRetentionHours"],
            format!("must be from 1 to {} hours", max_days * 24),
        )),
        (None, Some(hours)) => Ok(Some(hours * 3_600_000)),
        (None, None) => Ok(config.payload_retention_ms()),
    }
}

/// A published message.
#[derive(Debug)]
pub struct Published {
    /// The message as stored, except its payload text, which is left empty here (the
    /// store has it; no copy is kept for the answer).
    pub msg: Message,
    /// The payload to echo: the JSON received, or for a raw payload its JSON form (`{}`
    /// unless it is an object).
    pub payload: Box<RawValue>,
}

/// The requested delivery time of a `deliverAt`, checked against `now`: unparseable or more
/// than [`MAX_DELIVER_AHEAD_MS`] ahead is refused. A time in the past is kept as given
/// (the deliveries are then due at once).
fn deliver_at(text: Option<&str>, now: Millis) -> Result<Option<Millis>> {
    let Some(text) = text else { return Ok(None) };
    let at = parse_time(text)
        .ok_or_else(|| Error::invalid(&["body", "deliverAt"], "must be an RFC 3339 timestamp"))?;
    if at > now.saturating_add(MAX_DELIVER_AHEAD_MS) {
        return Err(Error::invalid(
            &["body", "deliverAt"],
            "must be at most 5 days in the future",
        ));
    }
    Ok(Some(at))
}

/// Publishes a message to the application `app_key` (org tokens only), creating the
/// application from the body's `application` if the org has none of that name. A
/// duplicate `eventId` in the app is a conflict. With `deliverAt` ahead, the message is
/// stored at once and its deliveries wait until then.
pub async fn create(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    mut body: MessageIn,
    now: Millis,
) -> Result<Published> {
    org_of(caller)?;
    let mut p = Problems::new();
    body.validate(&mut p);
    p.finish()?;
    let deliver_at = deliver_at(body.deliver_at.as_deref(), now)?;
    let retention = retention_ms(&body, ctx.config)?;
    let app = apps::find_or_create(ctx, caller, app_key, body.application.take(), now).await?;
    // A raw payload is delivered as given; otherwise the payload's exact JSON text is.
    let (payload, echo) = match body.transformations_params.and_then(|t| t.raw_payload) {
        Some(text) => {
            let echo = payload_out(&text, true);
            (text, echo)
        }
        None => (body.payload.get().to_owned(), body.payload),
    };
    let msg = Message {
        id: ids::new_id(ids::MESSAGE, now),
        app_id: app.id,
        event_type: body.event_type,
        event_id: body.event_id,
        channels: body.channels,
        tags: body.tags,
        deliver_at,
        payload_expires_at: retention.map(|ms| now.saturating_add(ms)),
        trace_context: crate::trace::current_traceparent(),
        created_at: now,
        ..Message::default()
    };
    // The store takes the message with its payload; the answer keeps the rest.
    let stored = Message {
        payload,
        ..msg.clone()
    };
    ctx.store.create_message(stored, None, now).await?;
    crate::telemetry::count_ingested(&msg.app_id, "api");
    Ok(Published { msg, payload: echo })
}

/// Removes the message's payload for good. The message, its deliveries and attempts stay;
/// the payload then reads as expired and resending the message is refused. Org tokens
/// only: it destroys data.
pub async fn expunge_content(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    msg_key: &str,
    now: Millis,
) -> Result<()> {
    let app = load_app(ctx, caller, app_key, Scope::Org).await?;
    let msg = load_message(ctx, &app, msg_key).await?;
    ctx.store
        .expunge_message_content(&app.id, &msg.id, now)
        .await?;
    if msg.expunged_at.is_none() {
        metrics::counter!("sluice_expunged_payloads_total", "why" => "request").increment(1);
    }
    Ok(())
}

/// Replaces an attempt's stored response body with `EXPUNGED`, as Svix does. Org tokens
/// only.
pub async fn expunge_attempt_content(
    ctx: Ctx<'_>,
    caller: &Caller,
    app_key: &str,
    msg_key: &str,
    attempt_id: &str,
) -> Result<()> {
    let app = load_app(ctx, caller, app_key, Scope::Org).await?;
    let msg = load_message(ctx, &app, msg_key).await?;
    Ok(ctx
        .store
        .expunge_attempt_content(&app.id, &msg.id, attempt_id)
        .await?)
}
