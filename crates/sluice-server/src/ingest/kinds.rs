//! Source types and their `config` on the wire: the Svix SDK's names and fields, mapped
//! onto the provider registry ([`sluice_core::inbound::registry`]), which says which type
//! selects which provider, which fields each reads, which are required and which are shown;
//! or onto a cron schedule. Nothing here names a provider.
//!
//! The config is kept as given (sealed at rest, since it holds provider secrets), so the
//! mapping runs again when a source is opened. Responses echo only what is not secret: the
//! SDK's `*ConfigOut` models have no secret fields, and cron's `CronConfig` holds none.

mod bounds;

use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sluice_core::inbound::{Field, GenericAuth, Provider, Shown, SourceConfig, SourceType};

/// One credential of a `generic-webhook` source, as configured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum AuthIn {
    /// HTTP Basic.
    Basic { username: String, password: String },
    /// `Authorization: Bearer`.
    Bearer { token: String },
    /// A header and its value.
    Header { name: String, value: String },
}

/// Every config field of every type (the Svix SDK's names, camelCase), plus Sluice's own:
/// `auth`, `idHeader`, `idJsonPointer` for `generic-webhook`, and `allowedIps` for all.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConfigIn {
    /// The provider secret (signing secret, webhook secret, auth token, app secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Meta's subscription verify token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_token: Option<String>,
    /// `generic-webhook`: credentials of which one must be presented (none = open).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth: Vec<AuthIn>,
    /// `generic-webhook`: the header holding the sender's event id (for dedupe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_header: Option<String>,
    /// `generic-webhook`: RFC 6901 pointer to the event id in a JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_json_pointer: Option<String>,
    /// `cron`: the schedule (5 or 6 fields, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// `cron`: the body emitted on every tick.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// `cron`: its content type (default `application/json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Networks requests must come from (CIDR or address); empty = anywhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_ips: Vec<String>,
}

/// A validated source type and config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The SDK type name.
    pub type_name: String,
    /// What it names: cron, or a provider of the registry.
    pub kind: SourceType,
    /// The config as accepted.
    pub config: ConfigIn,
}

/// A cron source's schedule and what it emits.
#[derive(Debug, Clone)]
pub struct CronSpec {
    /// The parsed schedule.
    pub schedule: croner::Cron,
    /// The body of every tick.
    pub payload: String,
    /// Its content type.
    pub content_type: String,
}

impl Settings {
    /// Parses and checks a type and config; the error is a (config field, reason) list.
    pub fn parse(type_name: &str, config: &Value) -> Result<Self, Vec<(String, String)>> {
        let kind =
            SourceType::of(type_name).map_err(|e| vec![("type".to_string(), e.to_string())])?;
        let config: ConfigIn = match config {
            Value::Null => ConfigIn::default(),
            v => serde_json::from_value(v.clone())
                .map_err(|e| vec![("config".to_string(), e.to_string())])?,
        };
        let s = Self {
            type_name: type_name.to_string(),
            kind,
            config,
        };
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<(), Vec<(String, String)>> {
        let mut problems = bounds::check(&self.config);
        if !problems.is_empty() {
            // Nothing further is parsed out of an oversized config.
            return Err(problems);
        }
        for ip in &self.config.allowed_ips {
            if parse_net(ip).is_none() {
                problems.push((
                    "config.allowedIps".into(),
                    format!("{ip:?} is not a CIDR or address"),
                ));
            }
        }
        match self.kind {
            SourceType::Cron => {
                if let Err(e) = self.cron() {
                    problems.push(("config".into(), e));
                }
            }
            SourceType::Inbound(provider) => {
                let missing = provider
                    .fields
                    .iter()
                    .find(|f| f.required() && !self.config.has(**f));
                if let Some(f) = missing {
                    problems.push((
                        format!("config.{}", f.name()),
                        "is required for this source type".into(),
                    ));
                } else if let Some(Err(e)) = self.verifier(&[]).map(|c| c.validate()) {
                    problems.push(("config".into(), e.0.to_string()));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The provider, unless a cron source.
    pub fn provider(&self) -> Option<&'static Provider> {
        self.kind.provider()
    }

    /// The verifier's configuration: the fields the provider reads, its secrets being the
    /// current one first, then `retired` secrets still inside their grace period. `None`
    /// for cron sources.
    pub fn verifier(&self, retired: &[String]) -> Option<SourceConfig> {
        let provider = self.provider()?;
        let c = &self.config;
        let mut v = SourceConfig::new(provider, Vec::new());
        for field in provider.fields {
            match field {
                Field::Secret => v.secrets = c.secret.iter().chain(retired).cloned().collect(),
                Field::VerifyToken => v.verify_token = c.verify_token.clone().unwrap_or_default(),
                Field::Auth => v.auth = c.auth.iter().map(AuthIn::to_core).collect(),
                Field::IdHeader => v.id_header = c.id_header.clone(),
                Field::IdJsonPointer => v.id_json_pointer = c.id_json_pointer.clone(),
            }
        }
        Some(v)
    }

    /// A cron source's schedule and payload, or why the config does not describe one.
    pub fn cron(&self) -> Result<CronSpec, String> {
        let c = &self.config;
        let schedule = c.schedule.as_deref().ok_or("schedule is required")?;
        let payload = c.payload.clone().ok_or("payload is required")?;
        let schedule = croner::Cron::from_str(schedule)
            .map_err(|e| format!("schedule {schedule:?} is not a cron expression: {e}"))?;
        Ok(CronSpec {
            schedule,
            payload,
            content_type: c
                .content_type
                .clone()
                .unwrap_or_else(|| "application/json".to_string()),
        })
    }

    /// The networks requests must come from (empty = anywhere).
    pub fn allowed_networks(&self) -> Vec<IpNet> {
        self.config
            .allowed_ips
            .iter()
            .filter_map(|s| parse_net(s))
            .collect()
    }

    /// The config as responses show it: the fields the provider shows ([`Field::shown`]),
    /// cron's fields as given, and the allow-list.
    pub fn config_out(&self) -> Value {
        let c = &self.config;
        let mut out = Map::new();
        match self.kind {
            SourceType::Cron => {
                out.insert("schedule".into(), json!(c.schedule));
                out.insert("payload".into(), json!(c.payload));
                out.insert("contentType".into(), json!(c.content_type));
            }
            SourceType::Inbound(provider) => {
                for f in provider.fields {
                    if let Some(v) = c.shown(*f) {
                        out.insert(f.name().into(), v);
                    }
                }
            }
        }
        if !c.allowed_ips.is_empty() {
            out.insert("allowedIps".into(), json!(c.allowed_ips));
        }
        Value::Object(out)
    }
}

impl ConfigIn {
    /// Whether a (required) field is given and not empty.
    fn has(&self, f: Field) -> bool {
        let text = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
        match f {
            Field::Secret => text(&self.secret),
            Field::VerifyToken => text(&self.verify_token),
            Field::Auth => !self.auth.is_empty(),
            Field::IdHeader => text(&self.id_header),
            Field::IdJsonPointer => text(&self.id_json_pointer),
        }
    }

    /// A field as responses show it, if given: nothing of a secret field, credentials
    /// without their secret parts.
    fn shown(&self, f: Field) -> Option<Value> {
        let text = |v: &Option<String>| v.as_ref().map(|s| json!(s));
        match (f.shown(), f) {
            (Shown::Never, _) => None,
            (_, Field::Auth) => (!self.auth.is_empty())
                .then(|| Value::Array(self.auth.iter().map(AuthIn::shown).collect())),
            (_, Field::Secret) => text(&self.secret),
            (_, Field::VerifyToken) => text(&self.verify_token),
            (_, Field::IdHeader) => text(&self.id_header),
            (_, Field::IdJsonPointer) => text(&self.id_json_pointer),
        }
    }
}

impl AuthIn {
    fn to_core(&self) -> GenericAuth {
        match self.clone() {
            Self::Basic { username, password } => GenericAuth::Basic { username, password },
            Self::Bearer { token } => GenericAuth::Bearer { token },
            Self::Header { name, value } => GenericAuth::Header { name, value },
        }
    }

    /// The credential without its secret part.
    fn shown(&self) -> Value {
        match self {
            Self::Basic { username, .. } => json!({"type": "basic", "username": username}),
            Self::Bearer { .. } => json!({"type": "bearer"}),
            Self::Header { name, .. } => json!({"type": "header", "name": name}),
        }
    }
}

/// A CIDR, or a bare address as a single host.
fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The registry's field names are the keys this wire type reads and writes.
    #[test]
    fn every_registry_field_is_a_config_key() {
        let all = ConfigIn {
            secret: Some("s".into()),
            verify_token: Some("v".into()),
            auth: vec![AuthIn::Bearer { token: "t".into() }],
            id_header: Some("x-id".into()),
            id_json_pointer: Some("/id".into()),
            ..ConfigIn::default()
        };
        let keys = serde_json::to_value(&all).unwrap();
        for f in [
            Field::Secret,
            Field::VerifyToken,
            Field::Auth,
            Field::IdHeader,
            Field::IdJsonPointer,
        ] {
            assert!(keys.get(f.name()).is_some(), "{}: {keys}", f.name());
            assert!(all.has(f), "{}", f.name());
            let shown = all.shown(f);
            assert_eq!(shown.is_none(), f.shown() == Shown::Never, "{}", f.name());
        }
    }
}
