//! The inbound provider registry: one [`Provider`] value per verification scheme, holding
//! everything the rest of Sluice needs to know about it. The API's type parsing and its
//! "supported" message, config validation, which config fields are echoed, the verifier
//! dispatch and the dedupe rule for events without an id all read [`PROVIDERS`], so adding
//! a provider is its module (the verifier) plus one entry here.
//!
//! `tests/registry.rs` iterates the table and fails for an entry without a verifier vector
//! or a docs page under `docs/inbound/`, and for a docs table that lists another set.

use super::config::Field;
use super::{
    generic, github, linear, meta, paddle, shopify, slack, standard, stripe, twilio, zoom,
    InvalidConfig, Rejection, Request, SourceConfig, Verdict,
};
use crate::signing::VerifyingKey;

/// One inbound provider (or family of senders sharing one scheme).
pub struct Provider {
    /// Its name in logs and metrics; its docs page is `docs/inbound/{name}.md`.
    pub name: &'static str,
    /// The source `type` values that select it (the Svix SDK's names where it has them).
    pub types: &'static [&'static str],
    /// Whether the Svix SDK (2.9) knows these types; `false` for Sluice's own additions,
    /// which the SDK's typed models cannot parse.
    pub in_sdk: bool,
    /// The config fields it reads, in the order they are checked.
    pub fields: &'static [Field],
    /// What an event without a provider event id is deduplicated on.
    pub content_key: ContentKey,
    /// The default of a configurable timestamp tolerance, for schemes that have one.
    pub tolerance_secs: Option<i64>,
    /// Checks a request against a config of this provider.
    pub(crate) verify: fn(&SourceConfig, &Request<'_>) -> Result<Verdict, Rejection>,
    /// Checks beyond what [`Self::fields`] imply (e.g. the format of a secret).
    pub(crate) check: fn(&SourceConfig) -> Result<(), InvalidConfig>,
}

/// What the dedupe key of an id-less event covers; see [`super::dedupe`] for why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKey {
    /// The body alone: a signed scheme, whose retries are re-signed at another time.
    Body,
    /// Method, query and body: the query is content (Twilio signs the URL and sends `GET`
    /// webhooks; a `generic-webhook` sender signs nothing).
    Request,
}

/// No check beyond the fields'.
fn fields_only(_: &SourceConfig) -> Result<(), InvalidConfig> {
    Ok(())
}

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

/// Every provider this server verifies.
pub static PROVIDERS: [Provider; 11] = [
    Provider {
        name: "generic-webhook",
        types: &["generic-webhook"],
        in_sdk: true,
        fields: &[Field::Auth, Field::IdHeader, Field::IdJsonPointer],
        content_key: ContentKey::Request,
        tolerance_secs: None,
        verify: |c, req| {
            let (header, pointer) = (c.id_header.as_deref(), c.id_json_pointer.as_deref());
            generic::verify(&c.auth, header, pointer, req)
        },
        check: fields_only,
    },
    Provider {
        name: "stripe",
        types: &["stripe"],
        in_sdk: true,
        fields: &[Field::Secret],
        content_key: ContentKey::Body,
        tolerance_secs: Some(stripe::DEFAULT_TOLERANCE_SECS),
        verify: |c, req| stripe::verify(&c.secrets, c.tolerance_secs, req),
        check: fields_only,
    },
    Provider {
        name: "github",
        types: &["github"],
        in_sdk: true,
        fields: &[Field::Secret],
        content_key: ContentKey::Body,
        tolerance_secs: None,
        verify: |c, req| github::verify(&c.secrets, req),
        check: fields_only,
    },
    Provider {
        name: "shopify",
        types: &["shopify"],
        in_sdk: true,
        fields: &[Field::Secret],
        content_key: ContentKey::Body,
        tolerance_secs: None,
        verify: |c, req| shopify::verify(&c.secrets, req),
        check: fields_only,
    },
    Provider {
        name: "slack",
        types: &["slack"],
        in_sdk: true,
        fields: &[Field::Secret],
        content_key: ContentKey::Body,
        tolerance_secs: None,
        verify: |c, req| slack::verify(&c.secrets, req),
        check: fields_only,
    },
    Provider {
        name: "zoom",
        types: &["zoom"],
        in_sdk: true,
        fields: &[Field::Secret],
        content_key: ContentKey::Body,
        tolerance_secs: None,
        verify: |c, req| zoom::verify(&c.secrets, req),
        check: fields_only,
    },
    Provider {
        name: "meta",
        types: &["meta"],
        in_sdk: true,
        fields: &[Field::Secret, Field::VerifyToken],
        content_key: ContentKey::Body,
        tolerance_secs: None,
        verify: |c, req| meta::verify(&c.secrets, &c.verify_token, req),
        check: fields_only,
    },
    Provider {
        name: "paddle",
        types: &["paddle"],
        in_sdk: false,
        fields: &[Field::Secret],
        content_key: ContentKey::Body,
        tolerance_secs: Some(paddle::DEFAULT_TOLERANCE_SECS),
        verify: |c, req| paddle::verify(&c.secrets, c.tolerance_secs, req),
        check: fields_only,
    },
    Provider {
        name: "linear",
        types: &["linear"],
        in_sdk: false,
        fields: &[Field::Secret],
        content_key: ContentKey::Body,
        tolerance_secs: None,
        verify: |c, req| linear::verify(&c.secrets, req),
        check: fields_only,
    },
    Provider {
        name: "twilio",
        types: &["twilio"],
        in_sdk: false,
        fields: &[Field::Secret],
        content_key: ContentKey::Request,
        tolerance_secs: None,
        verify: |c, req| twilio::verify(&c.secrets, req),
        check: fields_only,
    },
    Provider {
        name: "standard-webhooks",
        types: SVIX_SIGNED,
        in_sdk: true,
        fields: &[Field::Secret],
        content_key: ContentKey::Body,
        tolerance_secs: None,
        verify: |c, req| standard::verify(&c.secrets, req),
        check: |c| {
            if c.secrets.iter().any(|s| VerifyingKey::parse(s).is_err()) {
                return Err(InvalidConfig(
                    "secrets must be whsec_<base64> or whpk_<base64 ed25519 key>",
                ));
            }
            Ok(())
        },
    },
];

impl Provider {
    /// The provider a source `type` selects.
    pub fn of_type(type_name: &str) -> Option<&'static Self> {
        PROVIDERS.iter().find(|p| p.types.contains(&type_name))
    }

    /// The provider called `name` ([`Self::name`], not a type).
    pub fn named(name: &str) -> Option<&'static Self> {
        PROVIDERS.iter().find(|p| p.name == name)
    }

    /// Whether it reads `field`.
    pub fn reads(&self, field: Field) -> bool {
        self.fields.contains(&field)
    }
}

impl PartialEq for Provider {
    /// Names are unique (the registry test checks it).
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Provider {}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Provider({})", self.name)
    }
}

/// The type `cron`: Sluice emits the configured payload on a schedule itself.
pub const CRON: &str = "cron";

/// What a source's `type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceType {
    /// [`CRON`]: receives nothing, so there is nothing to verify.
    Cron,
    /// A provider's requests, verified by its scheme.
    Inbound(&'static Provider),
}

impl SourceType {
    /// The kind of source a `type` names, or why it is refused.
    pub fn of(type_name: &str) -> Result<Self, Unsupported> {
        if type_name == CRON {
            return Ok(Self::Cron);
        }
        Provider::of_type(type_name)
            .map(Self::Inbound)
            .ok_or_else(|| Unsupported(type_name.to_string()))
    }

    /// The provider, unless a cron source.
    pub fn provider(self) -> Option<&'static Provider> {
        match self {
            Self::Cron => None,
            Self::Inbound(p) => Some(p),
        }
    }
}

/// Every source `type` this server accepts: `cron`, then each provider's, in registry order.
pub fn supported_types() -> impl Iterator<Item = &'static str> {
    std::iter::once(CRON).chain(PROVIDERS.iter().flat_map(|p| p.types.iter().copied()))
}

/// A source `type` without a verifier here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "source type {0:?} is not supported by this server: it has no verifier for that \
     provider's signatures (supported: {list})",
    list = supported_types().collect::<Vec<_>>().join(", ")
)]
pub struct Unsupported(pub String);
