//! Tests of the inbound verifiers: every official vector of signatures.md (the
//! [RECOMPUTED] ones), the [DERIVED] fixtures as regressions, and for each scheme the
//! negatives (tampered body, forged signature, wrong secret, missing and malformed headers,
//! stale and future timestamps, several signatures, rotation). Every assertion names the
//! exact verdict or rejection, so each test fails if the verifier changes behaviour.
//! A rejection is an `Err`, which has no room for an event id: a refused request can
//! never produce a dedupe key.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{verify, Provider, Rejection, Request, SourceConfig, Verdict};

mod common;
mod config;
mod dedupe;
mod generic;
mod github;
mod linear;
mod meta;
mod paddle;
mod registry;
mod shopify;
mod slack;
mod standard;
mod stripe;
mod twilio;
mod zoom;

/// One genuine request of a provider and what verifying it gives; each provider's test
/// module has one (`vector()`), and `registry.rs` checks that every registered provider does.
pub(super) struct Vector {
    pub(super) config: SourceConfig,
    pub(super) method: &'static str,
    pub(super) url: String,
    pub(super) headers: Vec<(&'static str, String)>,
    pub(super) body: &'static [u8],
    pub(super) now: i64,
    pub(super) expect: Result,
}

impl Vector {
    /// Verifies the vector's request against `config`.
    pub(super) fn run(&self, config: &SourceConfig) -> Result {
        let headers: Vec<(&str, &str)> =
            self.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        call(
            config,
            self.method,
            &self.url,
            &headers,
            self.body,
            self.now,
        )
    }
}

/// What `verify` returns.
pub(super) type Result = std::result::Result<Verdict, Rejection>;

/// The URL the verifiers see when a test does not care.
pub(super) const URL: &str = "https://sluice.example.com/ingest/src_test";

/// Runs `verify` on a request built from string pairs.
pub(super) fn call(
    config: &SourceConfig,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    now: i64,
) -> Result {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let req = Request {
        method,
        url,
        headers: &headers,
        body,
        now,
    };
    verify(config, &req)
}

/// A POST to [`URL`].
pub(super) fn post(
    config: &SourceConfig,
    headers: &[(&str, &str)],
    body: &[u8],
    now: i64,
) -> Result {
    call(config, "POST", URL, headers, body, now)
}

/// The expected success.
pub(super) fn ok(event_id: Option<&str>, event_type: Option<&str>) -> Result {
    Ok(Verdict::Verified {
        event_id: event_id.map(str::to_owned),
        event_type: event_type.map(str::to_owned),
    })
}

/// The registered provider called `name`.
pub(super) fn named(name: &str) -> &'static Provider {
    Provider::named(name).unwrap_or_else(|| panic!("no provider {name:?}"))
}

pub(super) fn secrets(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// HMAC-SHA256 over the concatenated parts, computed independently of the verifiers.
pub(super) fn mac(key: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

pub(super) fn mac_hex(key: &str, parts: &[&[u8]]) -> String {
    hex::encode(mac(key, parts))
}

pub(super) fn mac_b64(key: &str, parts: &[&[u8]]) -> String {
    STANDARD.encode(mac(key, parts))
}
