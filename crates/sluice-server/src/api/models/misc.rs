//! Small bodies of the endpoint sub-routes (secret, headers, stats, send-example)
//! and of app-portal access.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::application::ApplicationIn;
use crate::api::validation::Problems;
use crate::auth::capability::{Capabilities, Capability};

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

/// `EndpointAttemptStats`: attempts by outcome over an hour-rounded window.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct EndpointAttemptStats {
    /// Attempts that delivered.
    pub success: u64,
    /// Attempts that failed.
    pub fail: u64,
    /// Never used by Sluice (Svix hosted only); always 0.
    pub canceled: u64,
}

/// `AppPortalAccessIn`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppPortalAccessIn {
    /// Creates the application when the path names none.
    #[serde(default)]
    pub application: Option<ApplicationIn>,
    /// Token lifetime in seconds (1 h ..= 28 days; default 28 days).
    #[serde(default)]
    pub expiry: Option<i64>,
    /// What the token may do; every capability when absent (as Svix). Must include
    /// `ViewBase`.
    #[serde(default)]
    pub capabilities: Option<Vec<Capability>>,
    /// Svix's deprecated read-only mode: drops every capability that changes something
    /// (and, without `capabilities`, leaves only `ViewBase`).
    #[serde(default)]
    pub read_only: Option<bool>,
    /// A caller-chosen session id, so that expire-all can end one session's tokens.
    #[serde(default)]
    pub session_id: Option<String>,
    /// Accepted for compatibility; Sluice has no feature flags.
    #[serde(default)]
    pub feature_flags: Option<Vec<String>>,
}

impl AppPortalAccessIn {
    /// The grant the token gets, or the problems of the body.
    pub fn grant(&self, p: &mut Problems) -> Capabilities {
        if let Some(sid) = &self.session_id {
            p.check(
                "sessionId",
                session_id(sid).map_err(|()| SESSION_ID_RULE.into()),
            );
        }
        let caps = match &self.capabilities {
            None => Capabilities::all(),
            Some(list) => {
                if !list.contains(&Capability::ViewBase) {
                    p.add(
                        "capabilities",
                        "must include ViewBase (every portal token can view its application)",
                    );
                }
                list.iter().copied().collect()
            }
        };
        match (self.read_only, &self.capabilities) {
            (Some(true), None) => Capabilities::from_iter([Capability::ViewBase]),
            (Some(true), Some(_)) => caps.read_only(),
            _ => caps,
        }
    }
}

/// `ApplicationTokenExpireIn` (`POST /auth/app/{app}/expire-all`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationTokenExpireIn {
    /// Seconds until the tokens stop working (0 ..= 3 days; default 0, at once).
    #[serde(default)]
    pub expiry: Option<i64>,
    /// Only tokens issued with one of these session ids (at most 1,000).
    #[serde(default)]
    pub session_ids: Option<Vec<String>>,
}

/// Longest delay expire-all accepts (Svix: 259,200 s).
pub const MAX_EXPIRE_DELAY_SECS: i64 = 3 * 24 * 3600;
/// Most session ids one expire-all may name (Svix: 1,000).
pub const MAX_EXPIRE_SESSION_IDS: usize = 1000;

impl ApplicationTokenExpireIn {
    /// Checks the body.
    pub fn validate(&self, p: &mut Problems) {
        if let Some(e) = self.expiry {
            if !(0..=MAX_EXPIRE_DELAY_SECS).contains(&e) {
                p.add("expiry", "must be between 0 and 259200 seconds (3 days)");
            }
        }
        if let Some(ids) = &self.session_ids {
            if ids.len() > MAX_EXPIRE_SESSION_IDS {
                p.add("sessionIds", "at most 1000 session ids");
            }
            if let Some(i) = ids.iter().position(|s| session_id(s).is_err()) {
                p.add("sessionIds", format!("item {i}: {SESSION_ID_RULE}"));
            }
        }
    }
}

const SESSION_ID_RULE: &str = "a session id is 1 to 64 characters of a-z, A-Z, 0-9, @, _ and -";

/// Svix's session id shape: 1–64 of `[a-zA-Z0-9@_-]`.
fn session_id(s: &str) -> Result<(), ()> {
    let ok = (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'@' | b'_' | b'-'));
    ok.then_some(()).ok_or(())
}

/// `AppPortalAccessOut`.
#[derive(Debug, Serialize)]
pub struct AppPortalAccessOut {
    /// Portal link carrying the token in its fragment.
    pub url: String,
    /// The app-scoped token.
    pub token: String,
}
