//! Application bodies.

use serde::{Deserialize, Serialize};
use sluice_core::model::{Application, Metadata};

use super::{ts, Patch};
use crate::api::validation::{self, limits, Problems};

/// `ApplicationIn`: POST and PUT bodies (and the inline `application` of other bodies).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationIn {
    /// Display name.
    pub name: String,
    /// Optional unique id within the org.
    #[serde(default)]
    pub uid: Option<String>,
    /// Messages/s (`rateLimit` is the deprecated name).
    #[serde(default, alias = "rateLimit")]
    pub throttle_rate: Option<u32>,
    /// User metadata.
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

impl ApplicationIn {
    /// Field rules.
    pub fn validate(&self, p: &mut Problems) {
        p.check("name", limits::name(&self.name));
        if let Some(uid) = &self.uid {
            p.check("uid", validation::uid(uid, sluice_core::ids::APP));
        }
        if let Some(m) = &self.metadata {
            p.check("metadata", limits::metadata(m));
        }
    }

    /// A new application row.
    pub fn into_app(self, id: String, org_id: &str, now: i64) -> Application {
        Application {
            id,
            org_id: org_id.to_string(),
            uid: self.uid,
            name: self.name,
            throttle_rate: self.throttle_rate,
            metadata: self.metadata.unwrap_or_default(),
            created_at: now,
            updated_at: now,
        }
    }

    /// Replaces the mutable fields of `app` (PUT semantics).
    pub fn replace(self, app: &mut Application, now: i64) {
        app.uid = self.uid;
        app.name = self.name;
        app.throttle_rate = self.throttle_rate;
        app.metadata = self.metadata.unwrap_or_default();
        app.updated_at = now;
    }
}

/// `ApplicationPatch`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationPatch {
    /// New name (may not be null).
    #[serde(default)]
    pub name: Patch<String>,
    /// New uid, or null to clear.
    #[serde(default)]
    pub uid: Patch<String>,
    /// New rate, or null to clear.
    #[serde(default, alias = "rateLimit")]
    pub throttle_rate: Patch<u32>,
    /// New metadata, or null to clear.
    #[serde(default)]
    pub metadata: Patch<Metadata>,
}

impl ApplicationPatch {
    /// Field rules.
    pub fn validate(&self, p: &mut Problems) {
        match &self.name {
            Patch::Null => p.add("name", "must not be null"),
            Patch::Value(n) => p.check("name", limits::name(n)),
            Patch::Absent => {}
        }
        if let Some(uid) = self.uid.value() {
            p.check("uid", validation::uid(uid, sluice_core::ids::APP));
        }
        if let Some(m) = self.metadata.value() {
            p.check("metadata", limits::metadata(m));
        }
    }

    /// Applies the patch to `app`.
    pub fn apply(self, app: &mut Application, now: i64) {
        if let Patch::Value(name) = self.name {
            app.name = name;
        }
        self.uid.apply_to(&mut app.uid);
        self.throttle_rate.apply_to(&mut app.throttle_rate);
        match self.metadata {
            Patch::Absent => {}
            Patch::Null => app.metadata.clear(),
            Patch::Value(m) => app.metadata = m,
        }
        app.updated_at = now;
    }
}

/// `ApplicationOut`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationOut {
    /// `app_…`
    pub id: String,
    /// User-chosen uid.
    pub uid: Option<String>,
    /// Display name.
    pub name: String,
    /// Messages/s.
    pub throttle_rate: Option<u32>,
    /// Deprecated alias of `throttleRate`, still emitted by Svix.
    pub rate_limit: Option<u32>,
    /// User metadata.
    pub metadata: Metadata,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<Application> for ApplicationOut {
    fn from(a: Application) -> Self {
        Self {
            id: a.id,
            uid: a.uid,
            name: a.name,
            throttle_rate: a.throttle_rate,
            rate_limit: a.throttle_rate,
            metadata: a.metadata,
            created_at: ts(a.created_at),
            updated_at: ts(a.updated_at),
        }
    }
}
