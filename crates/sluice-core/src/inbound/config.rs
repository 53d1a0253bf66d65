//! What a source is configured with, and the checks the API runs when it is created.

use super::{paddle, stripe};
use crate::signing::VerifyingKey;

/// A source's verification scheme and its secrets.
///
/// Every `Vec<String>` of secrets is ordered "current first, then the secrets still inside
/// their rotation grace period"; any one of them verifying suffices. The `Debug` output
/// never shows secret material.
#[derive(Clone, PartialEq, Eq)]
pub enum SourceConfig {
    /// No signature. `auth`: credentials of which any one must be presented (empty = open).
    /// The dedupe id comes from `id_header`, else from `id_json_pointer` (RFC 6901) in a
    /// JSON body, else there is none (and [`super::content_key`] is used).
    GenericWebhook {
        auth: Vec<GenericAuth>,
        id_header: Option<String>,
        id_json_pointer: Option<String>,
    },
    /// Standard Webhooks and Svix-signed senders (Svix, Clerk, Resend, …): `whsec_` HMAC
    /// secrets or `whpk_` Ed25519 public keys.
    StandardWebhooks { secrets: Vec<String> },
    /// Stripe `Stripe-Signature`; `tolerance_secs` how old `t` may be (default
    /// [`stripe::DEFAULT_TOLERANCE_SECS`]).
    Stripe {
        secrets: Vec<String>,
        tolerance_secs: i64,
    },
    /// GitHub `X-Hub-Signature-256`.
    Github { secrets: Vec<String> },
    /// Shopify `X-Shopify-Hmac-Sha256` with the app's client secret(s).
    Shopify { secrets: Vec<String> },
    /// Slack signing secret(s).
    Slack { secrets: Vec<String> },
    /// Zoom webhook secret token(s).
    Zoom { secrets: Vec<String> },
    /// Meta (Facebook, Instagram, WhatsApp) app secret(s) and the subscription verify token.
    Meta {
        app_secrets: Vec<String>,
        verify_token: String,
    },
    /// Paddle Billing endpoint secret key(s); `tolerance_secs` both ways (default
    /// [`paddle::DEFAULT_TOLERANCE_SECS`]).
    Paddle {
        secrets: Vec<String>,
        tolerance_secs: i64,
    },
    /// Linear webhook signing secret(s).
    Linear { secrets: Vec<String> },
    /// Twilio auth token(s): primary first, then a secondary during promotion.
    Twilio { auth_tokens: Vec<String> },
}

/// One credential a `generic-webhook` source accepts.
#[derive(Clone, PartialEq, Eq)]
pub enum GenericAuth {
    /// `Authorization: Basic base64(username:password)`.
    Basic { username: String, password: String },
    /// `Authorization: Bearer <token>`.
    Bearer { token: String },
    /// `<name>: <value>` (header name case-insensitive).
    Header { name: String, value: String },
}

/// Why a configuration cannot verify anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid source config: {0}")]
pub struct InvalidConfig(pub &'static str);

impl SourceConfig {
    /// The scheme's name, for logs and metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::GenericWebhook { .. } => "generic-webhook",
            Self::StandardWebhooks { .. } => "standard-webhooks",
            Self::Stripe { .. } => "stripe",
            Self::Github { .. } => "github",
            Self::Shopify { .. } => "shopify",
            Self::Slack { .. } => "slack",
            Self::Zoom { .. } => "zoom",
            Self::Meta { .. } => "meta",
            Self::Paddle { .. } => "paddle",
            Self::Linear { .. } => "linear",
            Self::Twilio { .. } => "twilio",
        }
    }

    /// Checks that the configuration can verify requests, so that the API refuses it at
    /// creation time instead of every request being rejected later.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        match self {
            Self::GenericWebhook {
                auth,
                id_header,
                id_json_pointer,
            } => {
                if auth.iter().any(GenericAuth::is_blank) {
                    return Err(InvalidConfig("generic credentials must not be empty"));
                }
                if id_header.as_deref().is_some_and(|h| !is_header_name(h)) {
                    return Err(InvalidConfig("id header is not a valid header name"));
                }
                // RFC 6901: a pointer is empty or starts with '/'; empty would take the
                // whole document as the id, which is never meant.
                if id_json_pointer
                    .as_deref()
                    .is_some_and(|p| !p.starts_with('/'))
                {
                    return Err(InvalidConfig("id JSON pointer must start with '/'"));
                }
                Ok(())
            }
            Self::StandardWebhooks { secrets } => {
                non_empty(secrets)?;
                if secrets.iter().any(|s| VerifyingKey::parse(s).is_err()) {
                    return Err(InvalidConfig(
                        "secrets must be whsec_<base64> or whpk_<base64 ed25519 key>",
                    ));
                }
                Ok(())
            }
            Self::Stripe {
                secrets,
                tolerance_secs,
            }
            | Self::Paddle {
                secrets,
                tolerance_secs,
            } => {
                non_empty(secrets)?;
                if *tolerance_secs <= 0 {
                    return Err(InvalidConfig("tolerance must be positive"));
                }
                Ok(())
            }
            Self::Meta {
                app_secrets,
                verify_token,
            } => {
                non_empty(app_secrets)?;
                if verify_token.is_empty() {
                    return Err(InvalidConfig("verify token must not be empty"));
                }
                Ok(())
            }
            Self::Github { secrets }
            | Self::Shopify { secrets }
            | Self::Slack { secrets }
            | Self::Zoom { secrets }
            | Self::Linear { secrets }
            | Self::Twilio {
                auth_tokens: secrets,
            } => non_empty(secrets),
        }
    }

    /// A Stripe source with the library's default tolerance.
    pub fn stripe(secrets: Vec<String>) -> Self {
        Self::Stripe {
            secrets,
            tolerance_secs: stripe::DEFAULT_TOLERANCE_SECS,
        }
    }

    /// A Paddle source with Sluice's default tolerance.
    pub fn paddle(secrets: Vec<String>) -> Self {
        Self::Paddle {
            secrets,
            tolerance_secs: paddle::DEFAULT_TOLERANCE_SECS,
        }
    }
}

/// An empty HMAC key is public knowledge, so an empty secret would verify forgeries.
fn non_empty(secrets: &[String]) -> Result<(), InvalidConfig> {
    if secrets.is_empty() || secrets.iter().any(String::is_empty) {
        return Err(InvalidConfig("at least one secret, none empty"));
    }
    Ok(())
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl GenericAuth {
    fn is_blank(&self) -> bool {
        match self {
            Self::Basic { username, password } => username.is_empty() || password.is_empty(),
            Self::Bearer { token } => token.is_empty(),
            Self::Header { name, value } => !is_header_name(name) || value.is_empty(),
        }
    }
}

impl std::fmt::Debug for SourceConfig {
    /// Shows the scheme and how many secrets it holds, never the secrets themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct(self.kind());
        match self {
            Self::GenericWebhook {
                auth,
                id_header,
                id_json_pointer,
            } => d
                .field("auth", auth)
                .field("id_header", id_header)
                .field("id_json_pointer", id_json_pointer),
            Self::Stripe {
                secrets,
                tolerance_secs,
            }
            | Self::Paddle {
                secrets,
                tolerance_secs,
            } => d
                .field("secrets", &secrets.len())
                .field("tolerance_secs", tolerance_secs),
            Self::Meta { app_secrets, .. } => d
                .field("app_secrets", &app_secrets.len())
                .field("verify_token", &".."),
            Self::StandardWebhooks { secrets }
            | Self::Github { secrets }
            | Self::Shopify { secrets }
            | Self::Slack { secrets }
            | Self::Zoom { secrets }
            | Self::Linear { secrets }
            | Self::Twilio {
                auth_tokens: secrets,
            } => d.field("secrets", &secrets.len()),
        };
        d.finish()
    }
}

impl std::fmt::Debug for GenericAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Basic { username, .. } => write!(f, "Basic({username}:..)"),
            Self::Bearer { .. } => f.write_str("Bearer(..)"),
            Self::Header { name, .. } => write!(f, "Header({name}: ..)"),
        }
    }
}
