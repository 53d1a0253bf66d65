//! Endpoint operations: `…/recover`, `…/send-example`, `…/stats`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::value::RawValue;
use serde_json::Value;
use sluice_core::ids;
use sluice_core::model::{DeliveryStatus, Message};

use super::{load_app, load_endpoint, Scope};
use crate::api::extract::{parse_time, ApiJson, Params};
use crate::api::models::message::MessageOut;
use crate::api::models::misc::{EndpointStats, EventExampleIn, RecoverIn, RecoverOut};
use crate::api::models::ts;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The built-in event type every endpoint can be sent an example of.
pub const PING_EVENT_TYPE: &str = "svix.ping";
/// Its payload.
pub const PING_PAYLOAD: &str = r#"{"success":true}"#;
/// How far back a recover may reach (Svix's bound, plus its five minutes of slack for
/// clocks and slow clients).
const RECOVER_MAX_AGE_MS: i64 = 14 * 24 * 3_600_000 + 5 * 60_000;
/// Default window of `…/stats` (Svix's longest).
const STATS_WINDOW_MS: i64 = 28 * 24 * 3_600_000;

/// `POST …/recover`: re-queues the endpoint's failed deliveries created in `[since,
/// until)` (at most 14 days back) with a fresh retry round. The work is one store transaction, so the task is
/// reported as already finished. 202.
pub async fn recover(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<RecoverIn>,
) -> ApiResult<(StatusCode, Json<RecoverOut>)> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let ep = load_endpoint(&state, &app, &ep_id).await?;
    let now = sluice_core::now_millis();
    let since = parse_time(&body.since)
        .ok_or_else(|| ApiError::validation(&["body", "since"], "must be an RFC 3339 timestamp"))?;
    let until = match &body.until {
        None => now,
        Some(u) => parse_time(u).ok_or_else(|| {
            ApiError::validation(&["body", "until"], "must be an RFC 3339 timestamp")
        })?,
    };
    if since < now - RECOVER_MAX_AGE_MS {
        return Err(ApiError::validation(
            &["body", "since"],
            "Cannot recover messages more than 14 days old",
        ));
    }
    if since >= until {
        return Err(ApiError::validation(
            &["body", "since"],
            "must be before until",
        ));
    }
    let count = state
        .store
        .recover_endpoint(&ep.id, since, until, now)
        .await?;
    tracing::info!(endpoint = %ep.id, count, "recovered failed deliveries");
    Ok((
        StatusCode::ACCEPTED,
        Json(RecoverOut {
            id: ids::new_id(ids::TASK, now),
            status: "finished",
            task: "endpoint.recover",
            updated_at: ts(now),
        }),
    ))
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

/// `POST …/send-example`: publishes an example message to this endpoint only (filters
/// bypassed). `svix.ping` is built in; other types need an example in their schema (404 for
/// an unknown type, 422 without an example). 202.
pub async fn send_example(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<EventExampleIn>,
) -> ApiResult<(StatusCode, Json<MessageOut>)> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let ep = load_endpoint(&state, &app, &ep_id).await?;
    let payload = if body.event_type == PING_EVENT_TYPE {
        PING_PAYLOAD.to_string()
    } else {
        let et = state
            .store
            .get_event_type(&app.org_id, &body.event_type)
            .await?
            .ok_or_else(|| ApiError::not_found_what("Event type not found"))?;
        schema_example(et.schemas.as_ref(), body.example_index.unwrap_or(0)).ok_or_else(|| {
            ApiError::validation(
                &["body", "eventType"],
                "the event type's schema has no example object",
            )
        })?
    };
    let now = sluice_core::now_millis();
    let msg = Message {
        id: ids::new_id(ids::MESSAGE, now),
        app_id: app.id.clone(),
        event_type: body.event_type,
        event_id: None,
        channels: None,
        payload,
        created_at: now,
        ..Message::default()
    };
    state
        .store
        .create_message(msg.clone(), Some(ep.id), now)
        .await?;
    let raw = RawValue::from_string(msg.payload.clone()).map_err(ApiError::internal)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(MessageOut::with_payload(msg, raw)),
    ))
}

/// `GET …/stats?since&until`: counts of the endpoint's deliveries created in the window
/// (default: the last 28 days).
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    Path((app_id, ep_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<EndpointStats>> {
    let app = load_app(&state, &caller, &app_id, Scope::Portal).await?;
    let ep = load_endpoint(&state, &app, &ep_id).await?;
    let now = sluice_core::now_millis();
    let until = params.time("until")?.unwrap_or(now);
    let since = params.time("since")?.unwrap_or(until - STATS_WINDOW_MS);
    if since > until {
        return Err(ApiError::validation(
            &["query", "since"],
            "must not be after until",
        ));
    }
    let mut out = EndpointStats::default();
    for (status, n) in state.store.endpoint_stats(&ep.id, since, until).await? {
        match status {
            DeliveryStatus::Success => out.success += n,
            DeliveryStatus::Pending => out.pending += n,
            DeliveryStatus::Sending => out.sending += n,
            DeliveryStatus::Fail => out.fail += n,
        }
    }
    Ok(Json(out))
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
