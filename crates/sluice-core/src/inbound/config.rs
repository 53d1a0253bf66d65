//! What a source's verifier is configured with, and the checks the API runs when a source
//! is saved. One shape for every provider: each reads the parts its [`Provider::fields`]
//! name, and the rest stay empty.

use super::registry::Provider;

/// A source's provider and its settings.
///
/// `secrets` is ordered "current first, then the secrets still inside their rotation grace
/// period"; any one of them verifying suffices. The `Debug` output never shows secret
/// material.
#[derive(Clone)]
pub struct SourceConfig {
    /// The scheme requests are verified with.
    pub provider: &'static Provider,
    /// [`Field::Secret`]: signing secrets, webhook secrets, auth tokens or app secrets.
    pub secrets: Vec<String>,
    /// [`Field::VerifyToken`]: Meta's subscription verify token.
    pub verify_token: String,
    /// [`Field::Auth`]: credentials of which any one must be presented (empty = open).
    pub auth: Vec<GenericAuth>,
    /// [`Field::IdHeader`]: the header with the dedupe id.
    pub id_header: Option<String>,
    /// [`Field::IdJsonPointer`]: where a JSON body holds the dedupe id (used when there is
    /// no id header; without either, [`super::content_key`] is the key).
    pub id_json_pointer: Option<String>,
    /// How old (and, for some schemes, how far ahead) a signed timestamp may be, for a
    /// provider with a [`Provider::tolerance_secs`]; 0 for the others.
    pub tolerance_secs: i64,
}

/// A setting of a source's `config` that a provider reads. The wire name, whether it is
/// required and whether responses show it are properties of the field, the same for every
/// provider that reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The provider secret (signing secret, webhook secret, auth token, app secret).
    Secret,
    /// Meta's subscription verify token.
    VerifyToken,
    /// `generic-webhook` credentials, of which one must be presented (none = open).
    Auth,
    /// The header holding the sender's event id.
    IdHeader,
    /// An RFC 6901 pointer to the event id in a JSON body.
    IdJsonPointer,
}

/// How a response shows a config field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Never: it is a secret (the SDK's `*ConfigOut` models have no secret fields).
    Never,
    /// Without its secret parts (a credential's type and name, not its value).
    Redacted,
    /// As given.
    AsGiven,
}

impl Field {
    /// The field's name in `config` (camelCase, as the Svix SDK sends it).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::VerifyToken => "verifyToken",
            Self::Auth => "auth",
            Self::IdHeader => "idHeader",
            Self::IdJsonPointer => "idJsonPointer",
        }
    }

    /// Whether a source without it cannot verify anything (and is refused when saved).
    pub const fn required(self) -> bool {
        matches!(self, Self::Secret | Self::VerifyToken)
    }

    /// How responses show it.
    pub const fn shown(self) -> Shown {
        match self {
            Self::Secret | Self::VerifyToken => Shown::Never,
            Self::Auth => Shown::Redacted,
            Self::IdHeader | Self::IdJsonPointer => Shown::AsGiven,
        }
    }
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
    /// A config of `provider` with these secrets, its default tolerance, and nothing else.
    pub fn new(provider: &'static Provider, secrets: Vec<String>) -> Self {
        Self {
            provider,
            secrets,
            verify_token: String::new(),
            auth: Vec::new(),
            id_header: None,
            id_json_pointer: None,
            tolerance_secs: provider.tolerance_secs.unwrap_or(0),
        }
    }

    /// The provider's name, for logs and metrics labels.
    pub fn kind(&self) -> &'static str {
        self.provider.name
    }

    /// The request headers that carry this source's own credentials (never forwarded).
    pub fn credential_headers(&self) -> impl Iterator<Item = &str> {
        self.auth.iter().map(GenericAuth::header_name)
    }

    /// Checks that the configuration can verify requests, so that the API refuses it at
    /// creation time instead of every request being rejected later: each field the
    /// provider reads, in order, then the tolerance, then the provider's own check.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        for field in self.provider.fields {
            self.check_field(*field)?;
        }
        if self.provider.tolerance_secs.is_some() && self.tolerance_secs <= 0 {
            return Err(InvalidConfig("tolerance must be positive"));
        }
        (self.provider.check)(self)
    }

    fn check_field(&self, field: Field) -> Result<(), InvalidConfig> {
        let refuse = |why| Err(InvalidConfig(why));
        match field {
            // An empty HMAC key is public knowledge, so an empty secret would verify forgeries.
            Field::Secret
                if self.secrets.is_empty() || self.secrets.iter().any(String::is_empty) =>
            {
                refuse("at least one secret, none empty")
            }
            Field::VerifyToken if self.verify_token.is_empty() => {
                refuse("verify token must not be empty")
            }
            Field::Auth if self.auth.iter().any(GenericAuth::is_blank) => {
                refuse("generic credentials must not be empty")
            }
            Field::IdHeader
                if self
                    .id_header
                    .as_deref()
                    .is_some_and(|h| !is_header_name(h)) =>
            {
                refuse("id header is not a valid header name")
            }
            // RFC 6901: a pointer is empty or starts with '/'; empty would take the whole
            // document as the id, which is never meant.
            Field::IdJsonPointer
                if self
                    .id_json_pointer
                    .as_deref()
                    .is_some_and(|p| !p.starts_with('/')) =>
            {
                refuse("id JSON pointer must start with '/'")
            }
            _ => Ok(()),
        }
    }
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

    /// The header that carries this credential.
    pub fn header_name(&self) -> &str {
        match self {
            Self::Basic { .. } | Self::Bearer { .. } => "authorization",
            Self::Header { name, .. } => name,
        }
    }
}

impl std::fmt::Debug for SourceConfig {
    /// Shows the scheme, how many secrets it holds and the settings that are not secret;
    /// never the secrets themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.provider;
        let mut d = f.debug_struct(p.name);
        for field in p.fields {
            match field {
                Field::Secret => d.field("secrets", &self.secrets.len()),
                Field::VerifyToken => d.field("verify_token", &".."),
                Field::Auth => d.field("auth", &self.auth),
                Field::IdHeader => d.field("id_header", &self.id_header),
                Field::IdJsonPointer => d.field("id_json_pointer", &self.id_json_pointer),
            };
        }
        if p.tolerance_secs.is_some() {
            d.field("tolerance_secs", &self.tolerance_secs);
        }
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
