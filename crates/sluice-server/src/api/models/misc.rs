//! Small bodies of the endpoint sub-routes (secret, headers, recover, stats, send-example)
//! and of app-portal access.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::application::ApplicationIn;

/// `EndpointSecretOut`.
#[derive(Debug, Serialize)]
pub struct EndpointSecretOut {
    /// The secret (`whsec_…` or `whsk_…`).
    pub key: String,
}

/// `EndpointSecretRotateIn`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSecretRotateIn {
    /// The new secret; generated when absent.
    #[serde(default)]
    pub key: Option<String>,
    /// How long the old secret stays valid (0 ..= 7 days; default 24 h).
    #[serde(default)]
    pub grace_period_seconds: Option<i64>,
}

/// `EndpointHeadersIn` (PUT replaces all headers).
#[derive(Debug, Deserialize)]
pub struct EndpointHeadersIn {
    /// The new header set.
    pub headers: BTreeMap<String, String>,
}

/// `EndpointHeadersPatchIn`: `null` values and `deleteHeaders` remove headers.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointHeadersPatchIn {
    /// Headers to set (or remove, when `null`).
    #[serde(default)]
    pub headers: BTreeMap<String, Option<String>>,
    /// Headers to remove.
    #[serde(default)]
    pub delete_headers: Option<Vec<String>>,
}

/// `EndpointHeadersOut`: sensitive headers are listed by name only.
#[derive(Debug, Serialize)]
pub struct EndpointHeadersOut {
    /// Non-sensitive headers with their values.
    pub headers: BTreeMap<String, String>,
    /// Names of headers whose values are hidden.
    pub sensitive: Vec<String>,
}

/// `RecoverIn`: RFC 3339 bounds of the window to re-drive.
#[derive(Debug, Deserialize)]
pub struct RecoverIn {
    /// Start (inclusive).
    pub since: String,
    /// End (exclusive); now when absent.
    #[serde(default)]
    pub until: Option<String>,
}

/// `RecoverOut`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoverOut {
    /// `qtask_…`
    pub id: String,
    /// `BackgroundTaskStatus`.
    pub status: &'static str,
    /// `BackgroundTaskType`.
    pub task: &'static str,
    /// RFC 3339.
    pub updated_at: String,
}

/// `EventExampleIn`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventExampleIn {
    /// Event type whose example to send (`svix.ping` is built in).
    pub event_type: String,
    /// Which of the schema's `examples` to send (default 0).
    #[serde(default)]
    pub example_index: Option<usize>,
}

/// `EndpointStats`: delivery counts by status.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct EndpointStats {
    /// Delivered.
    pub success: u64,
    /// Waiting for a try.
    pub pending: u64,
    /// In flight.
    pub sending: u64,
    /// Exhausted.
    pub fail: u64,
    /// Never used by Sluice (Svix hosted only); always 0.
    pub canceled: u64,
}

/// `AppPortalAccessIn`. Capabilities and read-only mode are accepted but not enforced
/// beyond the app scope (the portal UI is not built yet).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppPortalAccessIn {
    /// Creates the application when the path names none.
    #[serde(default)]
    pub application: Option<ApplicationIn>,
    /// Token lifetime in seconds (1 h ..= 28 days; default 28 days).
    #[serde(default)]
    pub expiry: Option<i64>,
}

/// `AppPortalAccessOut`.
#[derive(Debug, Serialize)]
pub struct AppPortalAccessOut {
    /// Portal link carrying the token in its fragment.
    pub url: String,
    /// The app-scoped token.
    pub token: String,
}
