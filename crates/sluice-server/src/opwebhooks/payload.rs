//! The body of an operational webhook, in Svix's shape: `{"type", "timestamp", "data"}`,
//! `data` camelCase as Svix's server sends it (`appId`, `appUid`, `endpointId`,
//! `endpointUid`, `msgId`, `msgEventId`, `lastAttempt{id, timestamp,
//! responseStatusCode}`, `failSince`, `trigger`), and Sluice's own events in the same
//! style. Unknown optional values are `null`, as Svix writes them.

use serde_json::{json, Map, Value};
use sluice_core::events::{DeliveryRef, EndpointRef, OpEvent};
use sluice_core::model::Application;
use sluice_core::Millis;

use crate::api::models::ts;

/// The webhook body of `event`, which happened in `app` (when it names one), sent at `now`.
pub fn build(event: &OpEvent, app: Option<&Application>, now: Millis) -> Value {
    json!({
        "type": event.event_type(),
        "timestamp": ts(now),
        "data": Value::Object(data(event, app)),
    })
}

fn data(event: &OpEvent, app: Option<&Application>) -> Map<String, Value> {
    match event {
        OpEvent::EndpointCreated(at)
        | OpEvent::EndpointUpdated(at)
        | OpEvent::EndpointDeleted(at)
        | OpEvent::EndpointEnabled(at)
        | OpEvent::CircuitClosed(at) => endpoint(at, app),
        OpEvent::EndpointDisabled {
            endpoint: at,
            fail_since,
            trigger,
        } => {
            let mut m = endpoint(at, app);
            m.insert("failSince".into(), fail_since.map(ts).into());
            m.insert("trigger".into(), trigger.as_str().into());
            m
        }
        OpEvent::AttemptFailing(d)
        | OpEvent::AttemptExhausted(d)
        | OpEvent::AttemptRecovered(d)
        | OpEvent::AttemptAuthFailed(d) => delivery(d, app),
        OpEvent::CircuitOpened {
            endpoint: at,
            failures,
            until,
        } => {
            let mut m = endpoint(at, app);
            m.insert("failures".into(), (*failures).into());
            m.insert("until".into(), ts(*until).into());
            m
        }
        OpEvent::SourceVerificationFailing {
            source_id,
            rejected,
            window_ms,
            reason,
            ..
        } => {
            let mut m = Map::new();
            m.insert("sourceId".into(), source_id.clone().into());
            m.insert("rejected".into(), (*rejected).into());
            m.insert("windowSeconds".into(), (window_ms / 1000).into());
            m.insert("reason".into(), reason.clone().into());
            m
        }
    }
}

/// The application's uid: the emitter's, else the looked-up application's.
fn app_uid(at: &EndpointRef, app: Option<&Application>) -> Value {
    at.app_uid
        .clone()
        .or_else(|| app.and_then(|a| a.uid.clone()))
        .into()
}

fn endpoint(at: &EndpointRef, app: Option<&Application>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("appId".into(), at.app_id.clone().into());
    m.insert("appUid".into(), app_uid(at, app));
    m.insert("endpointId".into(), at.endpoint_id.clone().into());
    m.insert("endpointUid".into(), at.endpoint_uid.clone().into());
    m
}

fn delivery(d: &DeliveryRef, app: Option<&Application>) -> Map<String, Value> {
    let mut m = endpoint(&d.endpoint, app);
    m.insert("msgId".into(), d.msg_id.clone().into());
    m.insert("msgEventId".into(), d.msg_event_id.clone().into());
    m.insert(
        "lastAttempt".into(),
        json!({
            "id": d.last_attempt.id,
            "timestamp": ts(d.last_attempt.timestamp),
            "responseStatusCode": d.last_attempt.response_status_code,
        }),
    );
    m
}

#[cfg(test)]
mod tests {
    use sluice_core::events::{AttemptRef, DisableTrigger};

    use super::*;

    fn at() -> EndpointRef {
        EndpointRef {
            app_id: "app_1".into(),
            app_uid: None,
            endpoint_id: "ep_1".into(),
            endpoint_uid: Some("primary".into()),
        }
    }

    #[test]
    fn shapes_follow_svix() {
        let app = Application {
            id: "app_1".into(),
            org_id: "org_1".into(),
            uid: Some("acme".into()),
            name: "Acme".into(),
            throttle_rate: None,
            metadata: Default::default(),
            created_at: 0,
            updated_at: 0,
        };
        let disabled = OpEvent::EndpointDisabled {
            endpoint: at(),
            fail_since: Some(0),
            trigger: DisableTrigger::Automatic,
        };
        assert_eq!(
            build(&disabled, Some(&app), 1000),
            json!({
                "type": "endpoint.disabled",
                "timestamp": "1970-01-01T00:00:01.000Z",
                "data": {
                    "appId": "app_1", "appUid": "acme", "endpointId": "ep_1",
                    "endpointUid": "primary", "failSince": "1970-01-01T00:00:00.000Z",
                    "trigger": "automatic",
                },
            })
        );
        let exhausted = OpEvent::AttemptExhausted(DeliveryRef {
            endpoint: at(),
            msg_id: "msg_1".into(),
            msg_event_id: None,
            last_attempt: AttemptRef {
                id: "atmpt_1".into(),
                timestamp: 2000,
                response_status_code: 503,
            },
        });
        let data = &build(&exhausted, None, 0)["data"];
        assert_eq!(data["appUid"], Value::Null);
        assert_eq!(data["msgEventId"], Value::Null);
        assert_eq!(
            data["lastAttempt"],
            json!({"id": "atmpt_1", "timestamp": "1970-01-01T00:00:02.000Z", "responseStatusCode": 503})
        );
    }
}
