//! Ingest source bodies (`IngestSourceIn`, `IngestSourceOut`, `RotateTokenOut`). The
//! config is shown without secrets (see [`crate::ingest::kinds::Settings::config_out`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sluice_core::model::{Metadata, Source};

use super::ts;
use crate::api::validation::{self, limits, Problems};

/// `IngestSourceIn` (POST and PUT).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceIn {
    /// Display name.
    pub name: String,
    /// Unique id within the org.
    #[serde(default)]
    pub uid: Option<String>,
    /// User metadata.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// The Svix source type, e.g. `stripe`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The type's config (secrets included).
    #[serde(default)]
    pub config: Value,
}

impl SourceIn {
    /// Field rules that need no lookup (the config is checked by `Settings::parse`).
    pub fn validate(&self, p: &mut Problems) {
        p.check("name", limits::name(&self.name));
        if let Some(uid) = &self.uid {
            p.check("uid", validation::uid(uid, sluice_core::ids::SOURCE));
        }
        if let Some(m) = &self.metadata {
            p.check("metadata", limits::metadata(m));
        }
    }
}

/// `IngestSourceOut`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceOut {
    /// `src_…`
    pub id: String,
    /// Unique id within the org.
    pub uid: Option<String>,
    /// Display name.
    pub name: String,
    /// Where the provider posts (`null` for cron sources, which receive nothing).
    pub ingest_url: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// User metadata.
    pub metadata: Metadata,
    /// The Svix source type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The config without secrets.
    pub config: Value,
}

impl SourceOut {
    /// The wire form of a source, its ingest URL and its secret-free config.
    pub fn new(s: Source, ingest_url: Option<String>, config: Value) -> Self {
        Self {
            id: s.id,
            uid: s.uid,
            name: s.name,
            ingest_url,
            created_at: ts(s.created_at),
            updated_at: ts(s.updated_at),
            metadata: s.metadata,
            kind: s.kind,
            config,
        }
    }
}

/// `RotateTokenOut`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RotateTokenOut {
    /// The new ingest URL.
    pub ingest_url: String,
}
