//! The task that turns queued operational events into messages of the operational
//! applications (see [`super`]). One event at a time, in the order they were emitted.

use std::time::Duration;

use sluice_core::events::OpEvent;
use sluice_core::model::Application;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::payload;
use crate::api::models::message::MessageIn;
use crate::auth::Caller;
use crate::error::Chain;
use crate::ops::operational::{self, MANAGEMENT_ORG};
use crate::ops::{self, Ctx};
use crate::state::AppState;

/// Tries to store one event before it is given up (a store outage longer than this loses
/// the events that arrive meanwhile; the queue holds the rest).
const PUBLISH_TRIES: u32 = 3;

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored as message `msg_id` of the org's operational application.
    Published {
        /// The message (`msg_…`).
        msg_id: String,
    },
    /// The org has no operational endpoints: nothing stored.
    NoListener,
    /// About the management org itself, or an application that no longer exists.
    Ignored,
}

/// How long a stopping server keeps publishing the events still queued (a store that is
/// down must not hold the shutdown for the whole queue's retries).
const DRAIN_FOR: Duration = Duration::from_secs(10);

/// Publishes events until `stop` is cancelled, then those still queued (for at most
/// [`DRAIN_FOR`]), then returns. `stop` is cancelled by startup after the dispatcher has
/// drained, so the events of its last deliveries are published too.
pub async fn run(state: AppState, mut rx: mpsc::Receiver<OpEvent>, stop: CancellationToken) {
    loop {
        tokio::select! {
            biased;
            event = rx.recv() => match event {
                Some(event) => publish_logged(&state, event).await,
                None => return,
            },
            _ = stop.cancelled() => break,
        }
    }
    let deadline = tokio::time::Instant::now() + DRAIN_FOR;
    while let Ok(event) = rx.try_recv() {
        if tokio::time::Instant::now() >= deadline {
            let left = 1 + rx.len() as u64;
            metrics::counter!("sluice_operational_events_dropped_total", "reason" => "shutdown")
                .increment(left);
            tracing::warn!(
                left,
                "operational events still queued at shutdown were dropped"
            );
            return;
        }
        publish_logged(&state, event).await;
    }
}

async fn publish_logged(state: &AppState, event: OpEvent) {
    let event_type = event.event_type();
    let mut tries = 0;
    loop {
        tries += 1;
        match publish(state, &event).await {
            Ok(outcome) => {
                tracing::debug!(event_type, ?outcome, "operational event handled");
                return;
            }
            Err(e) if tries < PUBLISH_TRIES => {
                tracing::warn!(event_type, error = %Chain(&e), "publishing an operational event failed; retrying");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(tries))).await;
            }
            Err(e) => {
                metrics::counter!("sluice_operational_events_dropped_total", "reason" => "store")
                    .increment(1);
                tracing::error!(event_type, error = %Chain(&e), "operational event dropped: it could not be stored");
                return;
            }
        }
    }
}

/// The org an event belongs to and the application it names (if it names one).
async fn owner(
    state: &AppState,
    event: &OpEvent,
) -> ops::Result<Option<(String, Option<Application>)>> {
    let app_id = match event {
        OpEvent::SourceVerificationFailing { org_id, .. } => {
            return Ok(Some((org_id.clone(), None)))
        }
        OpEvent::EndpointCreated(at)
        | OpEvent::EndpointUpdated(at)
        | OpEvent::EndpointDeleted(at)
        | OpEvent::EndpointEnabled(at)
        | OpEvent::CircuitClosed(at)
        | OpEvent::EndpointDisabled { endpoint: at, .. }
        | OpEvent::CircuitOpened { endpoint: at, .. } => &at.app_id,
        OpEvent::AttemptFailing(d)
        | OpEvent::AttemptExhausted(d)
        | OpEvent::AttemptRecovered(d)
        | OpEvent::AttemptAuthFailed(d) => &d.endpoint.app_id,
    };
    Ok(state
        .store
        .app_by_id(app_id)
        .await?
        .map(|app| (app.org_id.clone(), Some(app))))
}

/// Stores `event` as a message of its org's operational application, if it has one.
pub async fn publish(state: &AppState, event: &OpEvent) -> ops::Result<Outcome> {
    let Some((org, app)) = owner(state, event).await? else {
        return Ok(Outcome::Ignored);
    };
    if org == MANAGEMENT_ORG {
        return Ok(Outcome::Ignored);
    }
    let ctx = Ctx::of(state);
    let Some(target) = operational::app_of(ctx, &org).await? else {
        return Ok(Outcome::NoListener);
    };
    let now = state.clock.now();
    let body = payload::build(event, app.as_ref(), now);
    let msg: MessageIn = serde_json::from_value(serde_json::json!({
        "eventType": event.event_type(),
        "payload": body,
    }))
    .map_err(ops::Error::internal)?;
    let management = Caller::Org {
        org_id: MANAGEMENT_ORG.to_string(),
    };
    let published = ops::messages::create(ctx, &management, &target.id, msg, now).await?;
    Ok(Outcome::Published {
        msg_id: published.msg.id,
    })
}
