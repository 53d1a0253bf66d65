//! Wire structs of the API: `…In` bodies are deserialised from requests, `…Out` bodies
//! serialised into responses, camelCase as in Svix. Shapes follow the Svix SDK models
//! (fields an SDK model requires are always emitted; optional ones are emitted as `null`).
//! Conversions from the domain rows live next to each struct.

pub mod application;
pub mod attempt;
pub mod endpoint;
pub mod event_type;
pub mod integration;
pub mod message;
pub mod misc;
pub mod operational;
pub mod source;
pub mod task;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// A PATCH field: absent (leave alone), `null` (clear) or a value (set).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    /// Not in the body.
    #[default]
    Absent,
    /// Explicitly `null`.
    Null,
    /// A new value.
    Value(T),
}

impl<T> Patch<T> {
    /// Applies the patch to an optional field.
    pub fn apply_to(self, field: &mut Option<T>) {
        match self {
            Self::Absent => {}
            Self::Null => *field = None,
            Self::Value(v) => *field = Some(v),
        }
    }

    /// The new value, if one was given.
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Self::Value(v),
            None => Self::Null,
        })
    }
}

/// RFC 3339 text of stored milliseconds.
pub fn ts(ms: sluice_core::Millis) -> String {
    sluice_core::millis_to_rfc3339(ms)
}

/// The `payload` of a message response: the stored JSON text verbatim, or `{}` when the
/// caller asked for no content (`with_content=false`) or the payload is not a JSON object
/// (a raw payload; the SDK models require an object here).
pub fn payload_out(payload: &str, with_content: bool) -> Box<RawValue> {
    if with_content && payload.trim_start().starts_with('{') {
        if let Ok(raw) = RawValue::from_string(payload.to_owned()) {
            return raw;
        }
    }
    empty_object()
}

/// `{}` as a raw value.
pub fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).expect("literal is valid JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct P {
        #[serde(default)]
        a: Patch<String>,
    }

    #[test]
    fn patch_distinguishes_absent_null_value() {
        let p: P = serde_json::from_str("{}").unwrap();
        assert_eq!(p.a, Patch::Absent);
        let p: P = serde_json::from_str(r#"{"a":null}"#).unwrap();
        assert_eq!(p.a, Patch::Null);
        let p: P = serde_json::from_str(r#"{"a":"x"}"#).unwrap();
        assert_eq!(p.a, Patch::Value("x".into()));
        let mut field = Some("old".to_string());
        Patch::Null.apply_to(&mut field);
        assert_eq!(field, None);
    }

    #[test]
    fn payload_is_verbatim() {
        assert_eq!(payload_out(r#"{ "a" : 1 }"#, true).get(), r#"{ "a" : 1 }"#);
        assert_eq!(payload_out(r#"{"a":1}"#, false).get(), "{}");
        assert_eq!(payload_out("[1]", true).get(), "{}");
        assert_eq!(payload_out("not json {", true).get(), "{}");
    }
}
