//! Integration bodies: `IntegrationIn` (create), `IntegrationUpdate` (PUT), `IntegrationOut`
//! and `IntegrationKeyOut`, as the Svix SDK models them.

use serde::{Deserialize, Serialize};
use sluice_core::filter::validate_identifier;
use sluice_core::model::Integration;

use super::ts;
use crate::api::validation::Problems;

/// Most feature flags an integration may carry (Svix's bound).
pub const MAX_FEATURE_FLAGS: usize = 25;
/// Longest integration name.
pub const MAX_NAME_LEN: usize = 256;

/// `IntegrationIn` and `IntegrationUpdate` (the same two fields).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationIn {
    /// Display name.
    pub name: String,
    /// Feature flags granted to the key (none when absent).
    #[serde(default)]
    pub feature_flags: Option<Vec<String>>,
}

impl IntegrationIn {
    /// Field rules: a name of 1..=256 characters; at most 25 distinct flags, each an
    /// identifier (`[a-zA-Z0-9-_.]`, 1..=256).
    pub fn validate(&self, p: &mut Problems) {
        if self.name.trim().is_empty() || self.name.chars().count() > MAX_NAME_LEN {
            p.add("name", format!("must be 1 to {MAX_NAME_LEN} characters"));
        }
        if let Some(flags) = &self.feature_flags {
            p.check("featureFlags", feature_flags(flags));
        }
    }
}

fn feature_flags(flags: &[String]) -> Result<(), String> {
    if flags.len() > MAX_FEATURE_FLAGS {
        return Err(format!("at most {MAX_FEATURE_FLAGS} feature flags"));
    }
    for (i, f) in flags.iter().enumerate() {
        validate_identifier(f, false).map_err(|e| format!("feature flag {f:?}: {e}"))?;
        if flags[..i].contains(f) {
            return Err(format!("feature flag {f:?} is repeated"));
        }
    }
    Ok(())
}

/// `IntegrationOut` (never the key).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationOut {
    /// `integ_…`
    pub id: String,
    /// Display name.
    pub name: String,
    /// Feature flags granted to the key.
    pub feature_flags: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<Integration> for IntegrationOut {
    fn from(i: Integration) -> Self {
        Self {
            id: i.id,
            name: i.name,
            feature_flags: i.feature_flags,
            created_at: ts(i.created_at),
            updated_at: ts(i.updated_at),
        }
    }
}

/// `IntegrationKeyOut`: the only body that carries the key.
#[derive(Serialize)]
pub struct IntegrationKeyOut {
    /// `integsk_…`
    pub key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(body: &str) -> bool {
        let i: IntegrationIn = serde_json::from_str(body).unwrap();
        let mut p = Problems::new();
        i.validate(&mut p);
        p.finish().is_err()
    }

    #[test]
    fn rules() {
        assert!(!problems(r#"{"name":"Zapier"}"#));
        assert!(!problems(
            r#"{"name":"Z","featureFlags":["beta","a.b-c_d"]}"#
        ));
        assert!(problems(r#"{"name":""}"#));
        assert!(problems(r#"{"name":"Z","featureFlags":["has space"]}"#));
        assert!(problems(r#"{"name":"Z","featureFlags":["a","a"]}"#));
        let many: Vec<String> = (0..26).map(|i| format!("f{i}")).collect();
        let body = serde_json::json!({"name": "Z", "featureFlags": many}).to_string();
        assert!(problems(&body));
    }
}
