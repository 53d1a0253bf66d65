//! Source types and their `config`: the Svix SDK's names and fields, mapped to a
//! [`SourceConfig`] the verifiers understand (or to a cron schedule).
//!
//! The config is kept as given (sealed at rest, since it holds provider secrets), so the
//! mapping runs again on every use and there is one place that knows the field names.
//! Responses echo only what is not secret: the SDK's `*ConfigOut` models have no secret
//! fields, and cron's `CronConfig` holds none.

mod bounds;

use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sluice_core::inbound::{GenericAuth, SourceConfig};

/// Types the SDK signs with Standard Webhooks / Svix (`SvixConfig { secret }`).
const SVIX_SIGNED: &[&str] = &[
    "svix",
    "beehiiv",
    "brex",
    "clerk",
    "guesty",
    "incident-io",
    "lithic",
    "nash",
    "open-ai",
    "pleo",
    "psi-fi",
    "render",
    "replicate",
    "resend",
    "safebase",
    "sardine",
    "stych",
];

/// How a source of a given type receives its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `generic-webhook`.
    Generic,
    /// `cron`: emits on a schedule, receives nothing.
    Cron,
    /// The Svix-signed family.
    Standard,
    /// Stripe.
    Stripe,
    /// GitHub.
    Github,
    /// Shopify.
    Shopify,
    /// Slack.
    Slack,
    /// Zoom.
    Zoom,
    /// Meta.
    Meta,
    /// Paddle (a Sluice extension: not an SDK 2.9 type).
    Paddle,
    /// Linear (a Sluice extension).
    Linear,
    /// Twilio (a Sluice extension).
    Twilio,
}

impl Scheme {
    /// The scheme of an SDK type name, or why it is refused.
    pub fn of(type_name: &str) -> Result<Self, String> {
        Ok(match type_name {
            "generic-webhook" => Self::Generic,
            "cron" => Self::Cron,
            "stripe" => Self::Stripe,
            "github" => Self::Github,
            "shopify" => Self::Shopify,
            "slack" => Self::Slack,
            "zoom" => Self::Zoom,
            "meta" => Self::Meta,
            "paddle" => Self::Paddle,
            "linear" => Self::Linear,
            "twilio" => Self::Twilio,
            t if SVIX_SIGNED.contains(&t) => Self::Standard,
            t => {
                return Err(format!(
                    "source type {t:?} is not supported by this server: it has no verifier for \
                     that provider's signatures (supported: generic-webhook, cron, stripe, \
                     github, shopify, slack, zoom, meta, paddle, linear, twilio, and the \
                     Svix-signed types {})",
                    SVIX_SIGNED.join(", ")
                ))
            }
        })
    }
}

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
    /// Its scheme.
    pub scheme: Scheme,
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
        let scheme = Scheme::of(type_name).map_err(|e| vec![("type".to_string(), e)])?;
        let config: ConfigIn = match config {
            Value::Null => ConfigIn::default(),
            v => serde_json::from_value(v.clone())
                .map_err(|e| vec![("config".to_string(), e.to_string())])?,
        };
        let s = Self {
            type_name: type_name.to_string(),
            scheme,
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
        match self.scheme {
            Scheme::Cron => {
                if let Err(e) = self.cron() {
                    problems.push(("config".into(), e));
                }
            }
            _ => {
                if self.scheme != Scheme::Generic
                    && self.config.secret.as_deref().unwrap_or("").is_empty()
                {
                    problems.push((
                        "config.secret".into(),
                        "is required for this source type".into(),
                    ));
                } else if self.scheme == Scheme::Meta
                    && self.config.verify_token.as_deref().unwrap_or("").is_empty()
                {
                    problems.push((
                        "config.verifyToken".into(),
                        "is required for meta sources".into(),
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

    /// The verifier's configuration: the current secret first, then `retired` secrets still
    /// inside their grace period. `None` for cron sources.
    pub fn verifier(&self, retired: &[String]) -> Option<SourceConfig> {
        let c = &self.config;
        let secrets = || {
            let mut all: Vec<String> = c.secret.iter().cloned().collect();
            all.extend(retired.iter().cloned());
            all
        };
        Some(match self.scheme {
            Scheme::Cron => return None,
            Scheme::Generic => SourceConfig::GenericWebhook {
                auth: c.auth.iter().map(AuthIn::to_core).collect(),
                id_header: c.id_header.clone(),
                id_json_pointer: c.id_json_pointer.clone(),
            },
            Scheme::Standard => SourceConfig::StandardWebhooks { secrets: secrets() },
            Scheme::Stripe => SourceConfig::stripe(secrets()),
            Scheme::Github => SourceConfig::Github { secrets: secrets() },
            Scheme::Shopify => SourceConfig::Shopify { secrets: secrets() },
            Scheme::Slack => SourceConfig::Slack { secrets: secrets() },
            Scheme::Zoom => SourceConfig::Zoom { secrets: secrets() },
            Scheme::Meta => SourceConfig::Meta {
                app_secrets: secrets(),
                verify_token: c.verify_token.clone().unwrap_or_default(),
            },
            Scheme::Paddle => SourceConfig::paddle(secrets()),
            Scheme::Linear => SourceConfig::Linear { secrets: secrets() },
            Scheme::Twilio => SourceConfig::Twilio {
                auth_tokens: secrets(),
            },
        })
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

    /// The config as responses show it: without secrets (the SDK's `*ConfigOut` models
    /// have none), cron's fields as given, generic credentials without their values.
    pub fn config_out(&self) -> Value {
        let c = &self.config;
        let mut out = Map::new();
        match self.scheme {
            Scheme::Cron => {
                out.insert("schedule".into(), json!(c.schedule));
                out.insert("payload".into(), json!(c.payload));
                out.insert("contentType".into(), json!(c.content_type));
            }
            Scheme::Generic => {
                if !c.auth.is_empty() {
                    let shown: Vec<Value> = c.auth.iter().map(AuthIn::shown).collect();
                    out.insert("auth".into(), Value::Array(shown));
                }
                if let Some(h) = &c.id_header {
                    out.insert("idHeader".into(), json!(h));
                }
                if let Some(p) = &c.id_json_pointer {
                    out.insert("idJsonPointer".into(), json!(p));
                }
            }
            _ => {}
        }
        if !c.allowed_ips.is_empty() {
            out.insert("allowedIps".into(), json!(c.allowed_ips));
        }
        Value::Object(out)
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

    /// The header that carries this credential (never forwarded).
    pub fn header_name(&self) -> &str {
        match self {
            Self::Basic { .. } | Self::Bearer { .. } => "authorization",
            Self::Header { name, .. } => name,
        }
    }
}

/// A CIDR, or a bare address as a single host.
fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}
