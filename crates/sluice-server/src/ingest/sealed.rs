//! What a source's sealed `config` column holds: the config as accepted, plus provider
//! secrets replaced by an update that are still accepted during their grace period (so a
//! provider that keeps signing with the old secret for a while is not rejected).

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
}
