//! Endpoint bodies. The secret is accepted on create but never part of [`EndpointOut`]: it is
//! shown only by `GET …/secret`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sluice_core::control::{Circuit, EndpointControl};
use sluice_core::model::{Endpoint, Metadata};

use super::{ts, Patch};
use crate::api::validation::limits::{self, unique_list, unique_patch};
use crate::api::validation::url::{normalised, shown};
use crate::api::validation::{self, Problems};

/// Most channels an endpoint may filter on (Svix's bound).
pub const MAX_ENDPOINT_CHANNELS: usize = 10;

/// `EndpointIn` (POST) and `EndpointUpdate`/`EndpointUpsertIn` (PUT).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointIn {
    /// Destination.
    pub url: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Unique id within the app.
    #[serde(default)]
    pub uid: Option<String>,
    /// Start disabled.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Event-type allow-list (`filterTypes` is the deprecated name); a set, repeats dropped.
    #[serde(default, alias = "filterTypes", deserialize_with = "unique_list")]
    pub event_types: Option<Vec<String>>,
    /// Channel filter; a set, repeats dropped.
    #[serde(default, deserialize_with = "unique_list")]
    pub channels: Option<Vec<String>>,
    /// Signing secret; generated when absent. Ignored by PUT on an existing endpoint
    /// (rotation has its own route).
    #[serde(default)]
    pub secret: Option<String>,
    /// Messages/s (`rateLimit` is the deprecated name).
    #[serde(default, alias = "rateLimit")]
    pub throttle_rate: Option<u32>,
    /// User metadata.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// Svix `version` (default 1).
    #[serde(default)]
    pub version: Option<i32>,
    /// Extra delivery headers (accepted at creation, as the hosted Svix API does).
    #[serde(default)]
    pub headers: Option<BTreeMap<String, String>>,
}

impl EndpointIn {
    /// Field rules that need no lookup (event types are checked against the store by the
    /// route).
    pub fn validate(&self, p: &mut Problems) {
        p.check("url", validation::url(&self.url));
        if let Some(d) = &self.description {
            p.check("description", limits::description(d));
        }
        if let Some(uid) = &self.uid {
            p.check("uid", validation::uid(uid, sluice_core::ids::ENDPOINT));
        }
        if let Some(types) = &self.event_types {
            p.check("eventTypes", validation::event_type_filter(types));
        }
        if let Some(ch) = &self.channels {
            p.check("channels", validation::channels(ch, MAX_ENDPOINT_CHANNELS));
        }
        if let Some(secret) = &self.secret {
            if let Err(e) = sluice_core::signing::validate_endpoint_secret(secret) {
                p.add("secret", e.to_string());
            }
        }
        if self.version.is_some_and(|v| v < 1) {
            p.add("version", "must be at least 1");
        }
        if let Some(m) = &self.metadata {
            p.check("metadata", limits::metadata(m));
        }
        if let Some(h) = &self.headers {
            validation::headers(h, p);
        }
    }

    /// A new endpoint row with the given sealed secret; custom headers are sealed with
    /// `secrets` too.
    pub fn into_endpoint(
        self,
        id: String,
        app_id: &str,
        sealed_secret: Vec<u8>,
        secrets: &sluice_core::secretbox::SecretBox,
        now: i64,
    ) -> Endpoint {
        Endpoint {
            id,
            app_id: app_id.to_string(),
            uid: self.uid,
            url: normalised(self.url),
            description: self.description.unwrap_or_default(),
            version: self.version.unwrap_or(1),
            disabled: self.disabled.unwrap_or(false),
            event_types: self.event_types,
            channels: self.channels,
            throttle_rate: self.throttle_rate,
            metadata: self.metadata.unwrap_or_default(),
            headers: secrets.seal_headers(&self.headers.unwrap_or_default()),
            secret: sealed_secret,
            retired_secrets: Vec::new(),
            created_at: now,
            updated_at: now,
        }
    }

    /// Replaces the configurable fields of `ep` (PUT); secret and headers are kept.
    pub fn replace(self, ep: &mut Endpoint, now: i64) {
        ep.uid = self.uid;
        ep.url = normalised(self.url);
        ep.description = self.description.unwrap_or_default();
        ep.version = self.version.unwrap_or(1);
        ep.disabled = self.disabled.unwrap_or(false);
        ep.event_types = self.event_types;
        ep.channels = self.channels;
        ep.throttle_rate = self.throttle_rate;
        ep.metadata = self.metadata.unwrap_or_default();
        ep.updated_at = now;
    }
}

/// `EndpointPatch`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointPatch {
    /// New URL (not null).
    #[serde(default)]
    pub url: Patch<String>,
    /// New description (null = empty).
    #[serde(default)]
    pub description: Patch<String>,
    /// New uid or null.
    #[serde(default)]
    pub uid: Patch<String>,
    /// Enable/disable.
    #[serde(default)]
    pub disabled: Patch<bool>,
    /// New allow-list or null (all types); repeats dropped.
    #[serde(default, alias = "filterTypes", deserialize_with = "unique_patch")]
    pub event_types: Patch<Vec<String>>,
    /// New channels or null (all); repeats dropped.
    #[serde(default, deserialize_with = "unique_patch")]
    pub channels: Patch<Vec<String>>,
    /// New rate or null.
    #[serde(default, alias = "rateLimit")]
    pub throttle_rate: Patch<u32>,
    /// New metadata or null (empty).
    #[serde(default)]
    pub metadata: Patch<Metadata>,
    /// New version.
    #[serde(default)]
    pub version: Patch<i32>,
}

impl EndpointPatch {
    /// Field rules that need no lookup.
    pub fn validate(&self, p: &mut Problems) {
        match &self.url {
            Patch::Null => p.add("url", "must not be null"),
            Patch::Value(u) => p.check("url", validation::url(u)),
            Patch::Absent => {}
        }
        if let Some(d) = self.description.value() {
            p.check("description", limits::description(d));
        }
        if let Some(uid) = self.uid.value() {
            p.check("uid", validation::uid(uid, sluice_core::ids::ENDPOINT));
        }
        if let Some(types) = self.event_types.value() {
            p.check("eventTypes", validation::event_type_filter(types));
        }
        if let Some(ch) = self.channels.value() {
            p.check("channels", validation::channels(ch, MAX_ENDPOINT_CHANNELS));
        }
        if self.version.value().is_some_and(|v| *v < 1) {
            p.add("version", "must be at least 1");
        }
        if let Some(m) = self.metadata.value() {
            p.check("metadata", limits::metadata(m));
        }
    }

    /// Applies the patch to `ep`.
    pub fn apply(self, ep: &mut Endpoint, now: i64) {
        if let Patch::Value(url) = self.url {
            ep.url = normalised(url);
        }
        match self.description {
            Patch::Absent => {}
            Patch::Null => ep.description.clear(),
            Patch::Value(d) => ep.description = d,
        }
        self.uid.apply_to(&mut ep.uid);
        if let Patch::Value(d) = self.disabled {
            ep.disabled = d;
        } else if self.disabled == Patch::Null {
            ep.disabled = false;
        }
        self.event_types.apply_to(&mut ep.event_types);
        self.channels.apply_to(&mut ep.channels);
        self.throttle_rate.apply_to(&mut ep.throttle_rate);
        match self.metadata {
            Patch::Absent => {}
            Patch::Null => ep.metadata.clear(),
            Patch::Value(m) => ep.metadata = m,
        }
        match self.version {
            Patch::Absent => {}
            Patch::Null => ep.version = 1,
            Patch::Value(v) => ep.version = v,
        }
        ep.updated_at = now;
    }
}

/// `EndpointOut`. Also emits the deprecated `filterTypes`/`rateLimit` and `version`, as the
/// Svix server does, so older SDKs parse it too.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointOut {
    /// `ep_…`
    pub id: String,
    /// Unique id within the app.
    pub uid: Option<String>,
    /// Destination.
    pub url: String,
    /// Free text.
    pub description: String,
    /// Svix version.
    pub version: i32,
    /// Whether deliveries are paused.
    pub disabled: bool,
    /// Event-type allow-list.
    pub event_types: Option<Vec<String>>,
    /// Deprecated alias of `eventTypes`.
    pub filter_types: Option<Vec<String>>,
    /// Channel filter.
    pub channels: Option<Vec<String>>,
    /// Messages/s.
    pub throttle_rate: Option<u32>,
    /// Deprecated alias of `throttleRate`.
    pub rate_limit: Option<u32>,
    /// User metadata.
    pub metadata: Metadata,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Sluice: the endpoint's circuit breaker, `closed`, `open` (deliveries wait for the
    /// probe at `circuitOpenUntil`) or `halfOpen` (the probe is in flight). Shown by the
    /// endpoint routes; absent where an endpoint is embedded in another object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit_state: Option<&'static str>,
    /// Sluice: while the circuit is not closed, when the next probe may go (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit_open_until: Option<String>,
    /// Sluice: while the endpoint is failing, when its failures without a success began
    /// (RFC 3339); it is disabled once that is `endpoint_disable_after_secs` ago.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
    /// Sluice: consecutive failed tries (throttled answers do not count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consecutive_failures: Option<u32>,
}

impl EndpointOut {
    /// Adds the endpoint's delivery control state (Sluice's fields).
    pub fn with_control(mut self, c: &EndpointControl) -> Self {
        self.circuit_state = Some(c.circuit.as_str());
        self.circuit_open_until = (c.circuit != Circuit::Closed).then(|| ts(c.open_until));
        self.failing_since = c.failing_since.map(ts);
        self.consecutive_failures = Some(c.failures);
        self
    }
}

impl From<Endpoint> for EndpointOut {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id,
            uid: e.uid,
            url: shown(e.url),
            description: e.description,
            version: e.version,
            disabled: e.disabled,
            filter_types: e.event_types.clone(),
            event_types: e.event_types,
            channels: e.channels,
            throttle_rate: e.throttle_rate,
            rate_limit: e.throttle_rate,
            metadata: e.metadata,
            created_at: ts(e.created_at),
            updated_at: ts(e.updated_at),
            circuit_state: None,
            circuit_open_until: None,
            failing_since: None,
            consecutive_failures: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_out_has_no_secret() {
        let body: EndpointIn =
            serde_json::from_str(r#"{"url":"https://x.test","filterTypes":["a"]}"#).unwrap();
        assert_eq!(body.event_types.as_deref(), Some(&["a".to_string()][..]));
        let secrets = sluice_core::secretbox::SecretBox::new(&[7; 32]);
        let ep = body.into_endpoint(
            "ep_1".into(),
            "app_1",
            b"sealed-bytes".to_vec(),
            &secrets,
            0,
        );
        let json = serde_json::to_string(&EndpointOut::from(ep)).unwrap();
        assert!(
            !json.contains("secret") && !json.contains("sealed"),
            "{json}"
        );
        assert!(
            json.contains(r#""createdAt":"1970-01-01T00:00:00.000Z""#),
            "{json}"
        );
    }

    #[test]
    fn validation_collects_every_problem() {
        let body: EndpointIn = serde_json::from_str(
            r#"{"url":"ftp://x","uid":"ep_x","channels":[],"secret":"short","version":0,"headers":{"Host":"h"}}"#,
        )
        .unwrap();
        let mut p = Problems::new();
        body.validate(&mut p);
        let err = crate::error::ApiError::from(p.finish().unwrap_err());
        assert_eq!(err.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    }
}
