//! Operational webhook endpoint bodies (`OperationalWebhookEndpointIn`, `…UpsertIn`,
//! `…Out`): an endpoint without channels or a version. Both the SDK's names
//! (`eventTypes`, `throttleRate`) and the older ones (`filterTypes`, `rateLimit`) are read,
//! and both are written, as for application endpoints.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sluice_core::model::{Endpoint, Metadata};

use super::endpoint::EndpointIn;
use super::ts;
use crate::api::validation::limits::unique_list;
use crate::api::validation::url::shown;

/// `OperationalWebhookEndpointIn` (POST) and `OperationalWebhookEndpointUpsertIn` (PUT,
/// where `secret` and `headers` count only when the PUT creates the endpoint).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationalEndpointIn {
    /// Destination.
    pub url: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Messages/s (`rateLimit` is the older name).
    #[serde(default, alias = "rateLimit")]
    pub throttle_rate: Option<u32>,
    /// Unique id among the org's operational endpoints.
    #[serde(default)]
    pub uid: Option<String>,
    /// Start disabled.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Operational event types to receive (`filterTypes` is the older name); all when
    /// absent.
    #[serde(default, alias = "filterTypes", deserialize_with = "unique_list")]
    pub event_types: Option<Vec<String>>,
    /// Signing secret; generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
    /// User metadata.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// Extra delivery headers.
    #[serde(default)]
    pub headers: Option<BTreeMap<String, String>>,
}

impl From<OperationalEndpointIn> for EndpointIn {
    fn from(b: OperationalEndpointIn) -> Self {
        EndpointIn {
            url: b.url,
            description: b.description,
            uid: b.uid,
            disabled: b.disabled,
            event_types: b.event_types,
            channels: None,
            secret: b.secret,
            throttle_rate: b.throttle_rate,
            metadata: b.metadata,
            version: None,
            headers: b.headers,
        }
    }
}

/// `OperationalWebhookEndpointOut`, with the older `filterTypes`/`rateLimit` beside the
/// SDK's names.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationalEndpointOut {
    /// `ep_…`
    pub id: String,
    /// Unique id among the org's operational endpoints.
    pub uid: Option<String>,
    /// Destination.
    pub url: String,
    /// Free text.
    pub description: String,
    /// Whether sending is paused.
    pub disabled: bool,
    /// Event-type allow-list.
    pub event_types: Option<Vec<String>>,
    /// Older name of `eventTypes`.
    pub filter_types: Option<Vec<String>>,
    /// Messages/s.
    pub throttle_rate: Option<u32>,
    /// Older name of `throttleRate`.
    pub rate_limit: Option<u32>,
    /// User metadata.
    pub metadata: Metadata,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<Endpoint> for OperationalEndpointOut {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id,
            uid: e.uid,
            url: shown(e.url),
            description: e.description,
            disabled: e.disabled,
            filter_types: e.event_types.clone(),
            event_types: e.event_types,
            throttle_rate: e.throttle_rate,
            rate_limit: e.throttle_rate,
            metadata: e.metadata,
            created_at: ts(e.created_at),
            updated_at: ts(e.updated_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_names_are_read_and_channels_are_not() {
        let b: OperationalEndpointIn = serde_json::from_str(
            r#"{"url":"https://x.test","filterTypes":["endpoint.created"],"rateLimit":5,"channels":["c"]}"#,
        )
        .unwrap();
        let e = EndpointIn::from(b);
        assert_eq!(e.event_types, Some(vec!["endpoint.created".to_string()]));
        assert_eq!((e.throttle_rate, e.channels), (Some(5), None));
    }
}
