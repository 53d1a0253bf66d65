//! Event type bodies.
//!
//! Sluice keeps one feature flag per event type; the SDK's `featureFlags` list is accepted
//! when it holds at most one entry and emitted next to the older `featureFlag`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sluice_core::model::EventType;

use super::{ts, Patch};
use crate::api::validation::{self, limits, Problems};

/// `EventTypeIn` (POST) and `EventTypeUpsertIn` (PUT, where `name` comes from the path).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeIn {
    /// Unique name; required by POST, taken from the path by PUT.
    #[serde(default)]
    pub name: Option<String>,
    /// Free text.
    pub description: String,
    /// Versioned JSON schemas, e.g. `{"1": {...}}`.
    #[serde(default)]
    pub schemas: Option<Value>,
    /// Archived flag.
    #[serde(default)]
    pub archived: Option<bool>,
    /// Deprecated flag.
    #[serde(default)]
    pub deprecated: Option<bool>,
    /// Feature flag (older API).
    #[serde(default)]
    pub feature_flag: Option<String>,
    /// Feature flags (newer API; at most one is supported).
    #[serde(default)]
    pub feature_flags: Option<Vec<String>>,
}

impl EventTypeIn {
    /// Field rules; `name` is the effective name (body or path).
    pub fn validate(&self, name: &str, p: &mut Problems) {
        p.check("name", validation::event_type_name(name));
        p.check("description", limits::description(&self.description));
        check_schemas(self.schemas.as_ref(), p);
        check_flag(self.feature_flag.as_deref(), p);
        check_flags(self.feature_flags.as_deref(), p);
    }

    /// The single feature flag this body sets.
    fn flag(&self) -> Option<String> {
        self.feature_flags
            .as_ref()
            .and_then(|f| f.first().cloned())
            .or_else(|| self.feature_flag.clone())
    }

    /// A new event type row.
    pub fn into_event_type(self, org_id: &str, name: String, now: i64) -> EventType {
        let feature_flag = self.flag();
        EventType {
            org_id: org_id.to_string(),
            name,
            description: self.description,
            schemas: self.schemas,
            archived: self.archived.unwrap_or(false),
            deprecated: self.deprecated.unwrap_or(false),
            feature_flag,
            created_at: now,
            updated_at: now,
        }
    }

    /// Replaces the fields of an existing event type (PUT, or POST un-archiving one).
    pub fn replace(self, et: &mut EventType, now: i64) {
        et.feature_flag = self.flag();
        et.description = self.description;
        et.schemas = self.schemas;
        et.archived = self.archived.unwrap_or(false);
        et.deprecated = self.deprecated.unwrap_or(false);
        et.updated_at = now;
    }
}

fn check_schemas(schemas: Option<&Value>, p: &mut Problems) {
    if schemas.is_some_and(|s| !s.is_object() && !s.is_null()) {
        p.add("schemas", "must be an object of versioned JSON schemas");
    }
}

/// A feature flag is an identifier, as in Svix (1–256 of `[a-zA-Z0-9-_.]`).
fn check_flag(flag: Option<&str>, p: &mut Problems) {
    if let Some(f) = flag {
        p.check("featureFlag", validation::event_type_name(f));
    }
}

fn check_flags(flags: Option<&[String]>, p: &mut Problems) {
    let Some(flags) = flags else { return };
    if flags.len() > 1 {
        p.add("featureFlags", "at most one feature flag is supported");
    }
    for f in flags.iter().take(1) {
        p.check("featureFlags", validation::event_type_name(f));
    }
}

/// `EventTypePatch`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTypePatch {
    /// New description.
    #[serde(default)]
    pub description: Patch<String>,
    /// New schemas or null.
    #[serde(default)]
    pub schemas: Patch<Value>,
    /// Archive / unarchive.
    #[serde(default)]
    pub archived: Patch<bool>,
    /// Deprecate / undeprecate.
    #[serde(default)]
    pub deprecated: Patch<bool>,
    /// Feature flag or null.
    #[serde(default)]
    pub feature_flag: Patch<String>,
    /// Feature flags (at most one) or null.
    #[serde(default)]
    pub feature_flags: Patch<Vec<String>>,
}

impl EventTypePatch {
    /// Field rules.
    pub fn validate(&self, p: &mut Problems) {
        match &self.description {
            Patch::Null => p.add("description", "must not be null"),
            Patch::Value(d) => p.check("description", limits::description(d)),
            Patch::Absent => {}
        }
        check_schemas(self.schemas.value(), p);
        check_flag(self.feature_flag.value().map(String::as_str), p);
        check_flags(self.feature_flags.value().map(Vec::as_slice), p);
    }

    /// Applies the patch.
    pub fn apply(self, et: &mut EventType, now: i64) {
        if let Patch::Value(d) = self.description {
            et.description = d;
        }
        self.schemas.apply_to(&mut et.schemas);
        if let Patch::Value(a) = self.archived {
            et.archived = a;
        }
        if let Patch::Value(d) = self.deprecated {
            et.deprecated = d;
        }
        self.feature_flag.apply_to(&mut et.feature_flag);
        match self.feature_flags {
            Patch::Absent => {}
            Patch::Null => et.feature_flag = None,
            Patch::Value(f) => et.feature_flag = f.into_iter().next(),
        }
        et.updated_at = now;
    }
}

/// `EventTypeOut`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeOut {
    /// Unique name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Archived flag.
    pub archived: bool,
    /// Deprecated flag.
    pub deprecated: bool,
    /// Schemas (null in lists unless `with_content=true`).
    pub schemas: Option<Value>,
    /// Feature flag.
    pub feature_flag: Option<String>,
    /// The same flag as a list (newer SDKs).
    pub feature_flags: Option<Vec<String>>,
    /// Event type groups are not supported; always null.
    pub group_name: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl EventTypeOut {
    /// The wire form; `with_content=false` leaves out the schemas.
    pub fn new(et: EventType, with_content: bool) -> Self {
        Self {
            name: et.name,
            description: et.description,
            archived: et.archived,
            deprecated: et.deprecated,
            schemas: if with_content { et.schemas } else { None },
            feature_flags: et.feature_flag.clone().map(|f| vec![f]),
            feature_flag: et.feature_flag,
            group_name: None,
            created_at: ts(et.created_at),
            updated_at: ts(et.updated_at),
        }
    }
}
