//! Svix's `AppPortalCapability`: what an app-portal token may do inside its application.
//! The set is chosen when the token is issued, carried in its claims (so it cannot change
//! afterwards) and checked on every request against the route table in [`super::table`].
//!
//! Semantics, as Svix documents them:
//! - `ViewBase`: read the application, its endpoints (not their secrets), messages,
//!   attempts and event types. Every portal token holds it.
//! - `ViewEndpointSecret`: read endpoint secrets.
//! - `ManageEndpointSecret`: rotate (and read) endpoint secrets.
//! - `ManageTransformations`: change endpoint transformations (Sluice has none; the
//!   capability is accepted and carried, and grants no route).
//! - `CreateAttempts`: resend and recover messages, send examples.
//! - `ManageEndpoint`: create, change and delete endpoints and their headers, including
//!   their secrets.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One capability; the names are Svix's, on the wire and in token claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Capability {
    /// Read-only access, endpoint secrets excepted.
    ViewBase,
    /// Read endpoint secrets.
    ViewEndpointSecret,
    /// Rotate and read endpoint secrets.
    ManageEndpointSecret,
    /// Change endpoint transformations.
    ManageTransformations,
    /// Resend, recover, send examples.
    CreateAttempts,
    /// Anything about endpoints, secrets included.
    ManageEndpoint,
}

impl Capability {
    /// Every capability (what a token gets when none are asked for, as in Svix).
    pub const ALL: [Capability; 6] = [
        Self::ViewBase,
        Self::ViewEndpointSecret,
        Self::ManageEndpointSecret,
        Self::ManageTransformations,
        Self::CreateAttempts,
        Self::ManageEndpoint,
    ];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// Whether holding `self` allows what `need` allows (managing a secret includes
    /// reading it; managing an endpoint includes its secret).
    fn covers(self, need: Capability) -> bool {
        use Capability::*;
        self == need
            || matches!(
                (self, need),
                (ManageEndpointSecret, ViewEndpointSecret)
                    | (ManageEndpoint, ViewEndpointSecret | ManageEndpointSecret)
            )
    }

    /// Whether it allows changing anything (dropped by `readOnly`).
    pub fn writes(self) -> bool {
        !matches!(self, Self::ViewBase | Self::ViewEndpointSecret)
    }
}

/// A set of capabilities: a token's grant. On the wire, the list of names.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities(u8);

impl Capabilities {
    /// Every capability.
    pub fn all() -> Self {
        Self::from_iter(Capability::ALL)
    }

    /// Whether `c` itself is in the set.
    pub fn contains(self, c: Capability) -> bool {
        self.0 & c.bit() != 0
    }

    /// Whether a route needing `need` is allowed (some held capability covers it).
    pub fn allows(self, need: Capability) -> bool {
        self.iter().any(|held| held.covers(need))
    }

    /// The set without the capabilities that change anything.
    pub fn read_only(self) -> Self {
        Self::from_iter(self.iter().filter(|c| !c.writes()))
    }

    /// The capabilities held, in [`Capability::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        Self(iter.into_iter().fold(0, |acc, c| acc | c.bit()))
    }
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for Capabilities {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Capabilities {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Capability>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::Capability::*;
    use super::*;

    #[test]
    fn implications_follow_svix() {
        let base = Capabilities::from_iter([ViewBase]);
        assert!(base.allows(ViewBase));
        for c in [
            ViewEndpointSecret,
            ManageEndpointSecret,
            ManageEndpoint,
            CreateAttempts,
        ] {
            assert!(!base.allows(c), "{c:?}");
        }
        let manage_secret = Capabilities::from_iter([ViewBase, ManageEndpointSecret]);
        assert!(manage_secret.allows(ViewEndpointSecret));
        assert!(!manage_secret.allows(ManageEndpoint));
        let manage = Capabilities::from_iter([ViewBase, ManageEndpoint]);
        assert!(manage.allows(ViewEndpointSecret) && manage.allows(ManageEndpointSecret));
        assert!(!manage.allows(CreateAttempts));
    }

    #[test]
    fn read_only_keeps_only_reads_and_the_wire_form_is_names() {
        assert_eq!(
            Capabilities::all().read_only(),
            Capabilities::from_iter([ViewBase, ViewEndpointSecret])
        );
        let json =
            serde_json::to_string(&Capabilities::from_iter([CreateAttempts, ViewBase])).unwrap();
        assert_eq!(json, r#"["ViewBase","CreateAttempts"]"#);
        let back: Capabilities = serde_json::from_str(&json).unwrap();
        assert!(back.contains(CreateAttempts) && !back.contains(ManageEndpoint));
        assert!(serde_json::from_str::<Capabilities>(r#"["Root"]"#).is_err());
    }
}
