//! Inbound verification: one pure function per provider scheme, from (source config,
//! request as received, `now`) to a [`Verdict`] or a precise [`Rejection`].
//!
//! The schemes and their official test vectors are in `shared/reference/signatures.md`;
//! each provider module cites the section it implements. Shared rules:
//!
//! - The MAC covers the **raw body bytes as received**; nothing is parsed before the
//!   signature has been checked, and bodies are never re-serialized.
//! - Every list of secrets is "current first, then those still inside a rotation grace
//!   period": any one of them verifying suffices.
//! - Every comparison of a MAC or token is constant-time (`hmac::Mac::verify_slice` or
//!   `subtle`), see [`common`].
//! - The signature is checked **before** the timestamp window, so that
//!   [`Rejection::StaleTimestamp`] means "genuine but old" (a replay or a long-delayed
//!   retry) and [`Rejection::BadSignature`] means "not from the provider".
//! - A rejection carries no event id: dedupe ids exist only inside [`Verdict::Verified`].
//!
//! # Layout
//! - [`registry`]: every provider ([`Provider`]): its source types, config fields, dedupe
//!   rule and verifier; the rest of Sluice derives what it knows about providers from it.
//! - [`SourceConfig`]: what a verifier is configured with, and its checks; the config
//!   [`Field`]s a provider may read.
//! - [`common`]: header lookup, constant-time MAC and token checks, timestamp windows.
//! - [`dedupe`]: the dedupe key of an event without a provider event id.
//! - [`generic`]: `generic-webhook` (no signature; optional basic/bearer/header credentials).
//! - [`standard`]: Standard Webhooks / Svix (`webhook-*` and `svix-*`), via [`crate::signing`].
//! - [`stripe`], [`github`], [`shopify`], [`slack`], [`zoom`], [`meta`], [`paddle`],
//!   [`linear`], [`twilio`]: one module per provider.

pub mod common;
mod config;
pub mod dedupe;
pub mod generic;
pub mod github;
pub mod linear;
pub mod meta;
pub mod paddle;
pub mod registry;
pub mod shopify;
pub mod slack;
pub mod standard;
pub mod stripe;
pub mod twilio;
pub mod zoom;

#[cfg(test)]
mod tests;

pub use config::{Field, GenericAuth, InvalidConfig, Shown, SourceConfig};
pub use dedupe::content_key;
pub use registry::{ContentKey, Provider, SourceType, Unsupported, PROVIDERS};

/// One request as the ingest route received it.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// HTTP method, e.g. `POST` (compared case-insensitively).
    pub method: &'a str,
    /// The full public URL the provider requested (scheme, host, port, path, query).
    /// Twilio signs it, and Meta's handshake reads its query; behind a TLS-terminating
    /// proxy this must be the configured public URL, not the socket's view.
    pub url: &'a str,
    /// Header names and values as received; names are looked up case-insensitively and
    /// the first occurrence of a name wins.
    pub headers: &'a [(String, String)],
    /// The raw body bytes, exactly as received.
    pub body: &'a [u8],
    /// The receiver's clock, in Unix seconds.
    pub now: i64,
}

impl std::fmt::Debug for Request<'_> {
    /// Header values, the URL (its path holds the source token) and the body may carry
    /// credentials, so only their shape is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// What a genuine request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A genuine event: store it, deduplicated on `event_id` when there is one and on
    /// [`content_key`] otherwise, and forward it.
    Verified {
        /// The provider's id for this event, stable across its retries.
        event_id: Option<String>,
        /// The provider's name for the kind of event, for endpoint filters.
        event_type: Option<String>,
    },
    /// A genuine provider handshake: answer it with exactly this and store nothing.
    Handshake {
        /// HTTP status to answer with.
        status: u16,
        /// `Content-Type` of `body`.
        content_type: &'static str,
        /// The response body.
        body: Vec<u8>,
    },
}

impl Verdict {
    pub(crate) fn verified(event_id: Option<String>, event_type: Option<String>) -> Self {
        Self::Verified {
            event_id,
            event_type,
        }
    }
}

/// Why a request was refused. [`Rejection::code`] is stable; the `Display` text adds the
/// header or field concerned and is safe to return (it never contains secrets or values).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames,
)]
#[strum(serialize_all = "snake_case")]
pub enum Rejection {
    /// A header the scheme requires is absent or empty.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A header is present but cannot be parsed (wrong prefix, not hex/base64, no timestamp).
    #[error("malformed header {0}")]
    MalformedHeader(&'static str),
    /// A query parameter of a handshake is absent or has the wrong value.
    #[error("missing or invalid query parameter {0}")]
    BadParam(&'static str),
    /// The (verified) body lacks a field the scheme requires, or is not of the expected format.
    #[error("malformed body: {0}")]
    MalformedBody(&'static str),
    /// Genuine signature, but the signed timestamp is older than the tolerance.
    #[error("timestamp older than the tolerance")]
    StaleTimestamp,
    /// Genuine signature, but the signed timestamp is further ahead than the tolerance.
    #[error("timestamp further in the future than the tolerance")]
    FutureTimestamp,
    /// No signature in the request matches any configured secret.
    #[error("no signature matches")]
    BadSignature,
    /// Twilio JSON: the signed `bodySHA256` does not match the body received.
    #[error("body does not match the signed body hash")]
    BadBodyHash,
    /// No credential the source expects was presented.
    #[error("missing credentials")]
    MissingCredentials,
    /// A credential or verify token was presented but does not match.
    #[error("credentials do not match")]
    BadToken,
    /// The scheme never sends this HTTP method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The source has no usable secret; see [`SourceConfig::validate`].
    #[error("source misconfigured: {0}")]
    Misconfigured(&'static str),
}

impl Rejection {
    /// Every code [`Rejection::code`] can return, in declaration order, e.g. to
    /// pre-register metric labels. Derived from the variant names, as `code` is.
    pub const CODES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// A stable snake_case code (the variant's name) for the 401 body and metrics labels.
    pub fn code(&self) -> &'static str {
        self.into()
    }
}

/// Verifies one request against its source's configuration, with its provider's scheme.
pub fn verify(config: &SourceConfig, req: &Request<'_>) -> Result<Verdict, Rejection> {
    (config.provider.verify)(config, req)
}
