//! Message bodies. The payload travels as [`RawValue`]: the exact JSON text the publisher
//! sent is what gets stored, delivered and signed; it is never re-serialised.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sluice_core::model::Message;

use super::application::ApplicationIn;
use super::{payload_out, ts};
use crate::api::validation::limits::unique_list;
use crate::api::validation::{self, Problems};

/// Most channels a message may carry (Svix's bound).
pub const MAX_MESSAGE_CHANNELS: usize = 5;

/// Most tags a message may carry (Svix's bound).
pub const MAX_MESSAGE_TAGS: usize = 5;
/// Longest tag (Svix's bound).
pub const MAX_TAG_LEN: usize = 128;

/// `MessageIn`. `tags`, `deliverAt` and the payload retention (`payloadRetentionPeriod` or
/// `payloadRetentionHours`) are honoured; transformations other than `rawPayload` are
/// accepted and ignored, as the Svix OSS server does.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageIn {
    /// Event type name.
    pub event_type: String,
    /// Publisher-chosen unique id (dedupe key).
    #[serde(default)]
    pub event_id: Option<String>,
    /// The JSON object to deliver (`data` is an older name).
    #[serde(alias = "data")]
    pub payload: Box<RawValue>,
    /// Channels; a set, repeats dropped.
    #[serde(default, deserialize_with = "unique_list")]
    pub channels: Option<Vec<String>>,
    /// Free-form tags that message and attempt lists filter by (`?tag=`).
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// RFC 3339 time to deliver at: not before it, and at most five days ahead; the past
    /// or now means at once. Checked by the route, which knows the time.
    #[serde(default)]
    pub deliver_at: Option<String>,
    /// Days to keep the payload (Svix: 5 to 90; default the server's
    /// `payload_retention_days`). Checked by the route, which knows the server's default.
    #[serde(default)]
    pub payload_retention_period: Option<i64>,
    /// Hours to keep the payload, instead of `payloadRetentionPeriod`.
    #[serde(default)]
    pub payload_retention_hours: Option<i64>,
    /// Creates the application if the path names none.
    #[serde(default)]
    pub application: Option<ApplicationIn>,
    /// `rawPayload` here replaces `payload`: sent exactly as given, not required to be JSON
    /// (the SDKs' `message_in_raw`).
    #[serde(default)]
    pub transformations_params: Option<TransformationsParams>,
}

/// The part of Svix's `transformationsParams` that Sluice honours.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransformationsParams {
    /// A pre-serialised body to deliver verbatim.
    #[serde(default)]
    pub raw_payload: Option<String>,
}

impl MessageIn {
    /// The raw payload, when one was given.
    pub fn raw_payload(&self) -> Option<&str> {
        self.transformations_params.as_ref()?.raw_payload.as_deref()
    }
}

impl MessageIn {
    /// Field rules.
    pub fn validate(&self, p: &mut Problems) {
        p.check("eventType", validation::event_type_name(&self.event_type));
        if let Some(id) = &self.event_id {
            p.check(
                "eventId",
                sluice_core::filter::validate_identifier(id, false),
            );
        }
        // A RawValue holds no surrounding whitespace, so the first byte tells the JSON kind.
        match self.raw_payload() {
            Some("") => p.add("transformationsParams", "rawPayload must not be empty"),
            Some(_) => {}
            None if !self.payload.get().starts_with('{') => {
                p.add("payload", "must be a JSON object")
            }
            None => {}
        }
        if let Some(ch) = &self.channels {
            p.check("channels", validation::channels(ch, MAX_MESSAGE_CHANNELS));
        }
        if let Some(tags) = &self.tags {
            p.check("tags", tags_rule(tags));
        }
        if let Some(app) = &self.application {
            app.validate(p);
        }
    }
}

/// At most [`MAX_MESSAGE_TAGS`] distinct tags, each 1..=[`MAX_TAG_LEN`] characters of
/// `[a-zA-Z0-9-_./\\#]` (Svix's pattern).
pub fn tags_rule(tags: &[String]) -> Result<(), String> {
    if tags.len() > MAX_MESSAGE_TAGS {
        return Err(format!("at most {MAX_MESSAGE_TAGS} tags"));
    }
    for (i, tag) in tags.iter().enumerate() {
        let ok_char =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '\\' | '#');
        if tag.is_empty() || tag.len() > MAX_TAG_LEN || !tag.chars().all(ok_char) {
            return Err(format!(
                "tag {tag:?} must be 1 to {MAX_TAG_LEN} characters of a-z, A-Z, 0-9 and -_./\\#"
            ));
        }
        if tags[..i].contains(tag) {
            return Err(format!("tag {tag:?} is repeated"));
        }
    }
    Ok(())
}

/// `MessageOut`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageOut {
    /// `msg_…`
    pub id: String,
    /// Event type name.
    pub event_type: String,
    /// Publisher-chosen id.
    pub event_id: Option<String>,
    /// The payload verbatim, or `{}` without content.
    pub payload: Box<RawValue>,
    /// Channels.
    pub channels: Option<Vec<String>>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// RFC 3339 time the message was to be delivered at, if one was asked for.
    pub deliver_at: Option<String>,
    /// RFC 3339 creation time.
    pub timestamp: String,
}

impl MessageOut {
    /// The wire form of a stored message. An expunged payload reads `{"expired": true}`,
    /// as Svix shows a payload that is gone.
    pub fn new(m: Message, with_content: bool) -> Self {
        let payload = if with_content && m.expunged_at.is_some() {
            RawValue::from_string(r#"{"expired":true}"#.to_owned()).expect("literal is JSON")
        } else {
            payload_out(&m.payload, with_content)
        };
        Self::with_payload(m, payload)
    }

    /// The wire form with an already prepared payload (the create path, which holds the
    /// request's raw value and need not parse it again).
    pub fn with_payload(m: Message, payload: Box<RawValue>) -> Self {
        Self {
            id: m.id,
            event_type: m.event_type,
            event_id: m.event_id,
            payload,
            channels: m.channels,
            tags: m.tags,
            deliver_at: m.deliver_at.map(ts),
            timestamp: ts(m.created_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_payload_survives_exactly() {
        let body = r#"{"eventType":"a.b","payload":{ "z":1,  "a":[1.50,2] }}"#;
        let m: MessageIn = serde_json::from_str(body).unwrap();
        assert_eq!(m.payload.get(), r#"{ "z":1,  "a":[1.50,2] }"#);
        let mut p = Problems::new();
        m.validate(&mut p);
        assert!(p.finish().is_ok());
    }

    #[test]
    fn tags_follow_svix_rules() {
        let t = |v: &[&str]| tags_rule(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(t(&["a", "project_1/x.y", "back\\slash", "#7", "a-b"]).is_ok());
        assert!(t(&[]).is_ok());
        assert!(t(&["a", "b", "c", "d", "e", "f"]).is_err(), "six tags");
        assert!(t(&["has space"]).is_err());
        assert!(t(&["colon:no"]).is_err());
        assert!(t(&[""]).is_err());
        assert!(t(&[&"x".repeat(129)]).is_err());
        assert!(t(&[&"x".repeat(128)]).is_ok());
        assert!(t(&["same", "same"]).is_err());
    }

    #[test]
    fn non_object_payloads_are_refused() {
        for payload in ["[1]", "\"s\"", "3", "null", "true"] {
            let body = format!(r#"{{"eventType":"a.b","payload":{payload}}}"#);
            let m: MessageIn = serde_json::from_str(&body).unwrap();
            let mut p = Problems::new();
            m.validate(&mut p);
            assert!(p.finish().is_err(), "{payload}");
        }
    }
}
