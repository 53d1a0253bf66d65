//! What a source's sealed `config` column holds: the config as accepted, plus provider
//! secrets replaced by an update that are still accepted during their grace period (so a
//! provider that keeps signing with the old secret for a while is not rejected).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sluice_core::model::Source;
use sluice_core::secretbox::SecretBox;
use sluice_core::Millis;

use super::kinds::{ConfigIn, Settings};

/// How long a replaced provider secret is still accepted.
pub const SECRET_GRACE_MS: Millis = 24 * 3_600_000;

/// A replaced provider secret and the end of its grace period.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RetiredSecret {
    /// The old secret.
    pub secret: String,
    /// When it stops being accepted (ms).
    pub expires_at: Millis,
}

/// The plaintext of the sealed column.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stored {
    /// The config as accepted.
    pub config: ConfigIn,
    /// Replaced secrets still in their grace period.
    #[serde(default)]
    pub retired: Vec<RetiredSecret>,
}

impl Stored {
    /// A fresh source's config.
    pub fn new(config: ConfigIn) -> Self {
        Self {
            config,
            retired: Vec::new(),
        }
    }

    /// Replaces the config; a changed secret is retired (kept valid for
    /// [`SECRET_GRACE_MS`]), expired ones are dropped.
    pub fn replace(&mut self, config: ConfigIn, now: Millis) {
        self.retired.retain(|r| r.expires_at > now);
        if let Some(old) = self.config.secret.take() {
            if config.secret.as_deref() != Some(old.as_str()) {
                self.retired.push(RetiredSecret {
                    secret: old,
                    expires_at: now + SECRET_GRACE_MS,
                });
            }
        }
        self.config = config;
    }

    /// Secrets of `retired` still valid at `now`.
    pub fn valid_retired(&self, now: Millis) -> Vec<String> {
        self.retired
            .iter()
            .filter(|r| r.expires_at > now)
            .map(|r| r.secret.clone())
            .collect()
    }

    /// Seals for the `config` column.
    pub fn seal(&self, secrets: &SecretBox) -> Vec<u8> {
        secrets.seal(&serde_json::to_string(self).expect("config serialises"))
    }

    /// Opens a source's sealed config.
    pub fn open(secrets: &SecretBox, sealed: &[u8]) -> Result<Self, String> {
        let text = secrets
            .open(sealed)
            .map_err(|_| "source config could not be unsealed (wrong encryption_key?)")?;
        serde_json::from_str(&text).map_err(|e| format!("stored source config is invalid: {e}"))
    }
}

/// A source's settings and stored config, unsealed.
pub struct Opened {
    /// Type and config.
    pub settings: Settings,
    /// The stored form (with retired secrets).
    pub stored: Stored,
}

/// Unsealed configs by source id, reused while a source's sealed bytes are unchanged. Every
/// inbound request needs its source's config; unsealing and re-validating it each time is
/// work on the hot path that a byte comparison avoids. Exact: the sealed bytes determine the
/// plaintext, and any change to the config changes them.
#[derive(Default)]
pub struct OpenedCache {
    entries: Mutex<HashMap<String, Cached>>,
}

/// A source's sealed config bytes and what they unsealed to.
type Cached = (Vec<u8>, Arc<Opened>);

/// Sources kept before the cache starts over (bounds memory; a miss only costs an unseal).
const MAX_OPENED: usize = 10_000;

impl OpenedCache {
    /// The source's settings, from the cache or freshly unsealed.
    pub fn open(&self, secrets: &SecretBox, src: &Source) -> Result<Arc<Opened>, String> {
        let lock = || self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((sealed, opened)) = lock().get(&src.id) {
            if *sealed == src.config {
                return Ok(opened.clone());
            }
        }
        let opened = Arc::new(open_source(secrets, src)?);
        let mut entries = lock();
        if entries.len() >= MAX_OPENED {
            entries.clear();
        }
        entries.insert(src.id.clone(), (src.config.clone(), opened.clone()));
        Ok(opened)
    }
}

/// Unseals and re-validates a source's config.
pub fn open_source(secrets: &SecretBox, src: &Source) -> Result<Opened, String> {
    let stored = Stored::open(secrets, &src.config)?;
    let value = serde_json::to_value(&stored.config).map_err(|e| e.to_string())?;
    let settings = Settings::parse(&src.kind, &value)
        .map_err(|p| format!("stored source config is invalid: {p:?}"))?;
    Ok(Opened { settings, stored })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_secret_stays_valid_for_the_grace_period() {
        let cfg = |s: &str| ConfigIn {
            secret: Some(s.into()),
            ..ConfigIn::default()
        };
        let mut st = Stored::new(cfg("a"));
        st.replace(cfg("a"), 0);
        assert!(st.retired.is_empty(), "same secret: nothing retired");
        st.replace(cfg("b"), 1000);
        assert_eq!(st.valid_retired(1000 + SECRET_GRACE_MS - 1), vec!["a"]);
        assert!(st.valid_retired(1000 + SECRET_GRACE_MS).is_empty());
        st.replace(cfg("c"), 2000 + SECRET_GRACE_MS);
        assert_eq!(
            st.valid_retired(2000 + SECRET_GRACE_MS),
            vec!["b"],
            "expired a dropped"
        );
        let b = SecretBox::new(&SecretBox::generate_key());
        let sealed = st.seal(&b);
        assert!(!String::from_utf8_lossy(&sealed).contains("\"c\""));
        assert_eq!(Stored::open(&b, &sealed).unwrap(), st);
    }

    #[test]
    fn opened_cache_follows_the_sealed_bytes() {
        let b = SecretBox::new(&SecretBox::generate_key());
        let cfg = |s: &str| ConfigIn {
            secret: Some(s.into()),
            ..ConfigIn::default()
        };
        let mut src = Source {
            id: "src_1".into(),
            org_id: "org".into(),
            app_id: "app_1".into(),
            uid: None,
            name: "s".into(),
            kind: "github".into(),
            config: Stored::new(cfg("one")).seal(&b),
            token: Vec::new(),
            metadata: Default::default(),
            created_at: 0,
            updated_at: 0,
        };
        let cache = OpenedCache::default();
        let first = cache.open(&b, &src).unwrap();
        assert!(
            Arc::ptr_eq(&first, &cache.open(&b, &src).unwrap()),
            "reused"
        );
        src.config = Stored::new(cfg("two")).seal(&b);
        let second = cache.open(&b, &src).unwrap();
        assert_eq!(second.settings.config.secret.as_deref(), Some("two"));
        src.config = b"not sealed".to_vec();
        assert!(cache.open(&b, &src).is_err());
    }
}
