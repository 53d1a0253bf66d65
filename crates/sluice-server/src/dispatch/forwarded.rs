//! The names under which a forward carries the provider's own signature headers.
//!
//! A Svix-signed provider (Svix, Clerk, Resend, …) sends `svix-id`, `svix-timestamp` and
//! `svix-signature`; a Standard Webhooks provider sends the same three as `webhook-*`. Those
//! are exactly the names of Sluice's own signature on the forward. Forwarded unchanged, the
//! receiver would see two signature sets: the Svix SDKs' `Webhook.verify` reads `svix-*`
//! first and checks the provider's signature against the endpoint's secret (and fails), and
//! a provider's `webhook-*` would be overwritten by Sluice's. So a forward carries exactly
//! one signature set, Sluice's, for the receiving endpoint's secret, and the provider's
//! originals travel under `x-sluice-original-<name>` (e.g.
//! `x-sluice-original-svix-signature`), where a receiver that wants to check them too can
//! still find them.
//!
//! Renaming happens when sending, not on receipt: the stored message keeps the headers as
//! they arrived, and rows stored before this rule existed are forwarded the same way.

use std::borrow::Cow;

/// Prefix of a provider signature header renamed on a forward.
pub const ORIGINAL_PREFIX: &str = "x-sluice-original-";

/// The names of both signature header families (lower-case, as stored).
const SIGNATURE_FAMILY: [&str; 6] = [
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

/// The name a stored provider header is forwarded under, or `None` to leave it out.
///
/// Signature-family headers are renamed under [`ORIGINAL_PREFIX`]. A provider header that
/// already carries the prefix is dropped, so every `x-sluice-original-*` header a receiver
/// sees was put there by Sluice and names a header the provider really sent.
pub fn forwarded_name(name: &str) -> Option<Cow<'_, str>> {
    let lower_has_prefix = name
        .get(..ORIGINAL_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(ORIGINAL_PREFIX));
    if lower_has_prefix {
        return None;
    }
    if SIGNATURE_FAMILY
        .iter()
        .any(|f| f.eq_ignore_ascii_case(name))
    {
        return Some(Cow::Owned(format!(
            "{ORIGINAL_PREFIX}{}",
            name.to_ascii_lowercase()
        )));
    }
    Some(Cow::Borrowed(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_families_are_renamed_and_the_rest_kept() {
        for name in SIGNATURE_FAMILY {
            assert_eq!(
                forwarded_name(name).as_deref(),
                Some(format!("x-sluice-original-{name}").as_str())
            );
        }
        assert_eq!(
            forwarded_name("Svix-Signature").as_deref(),
            Some("x-sluice-original-svix-signature")
        );
        for kept in [
            "stripe-signature",
            "x-github-event",
            "svix-extra",
            "webhook",
        ] {
            assert_eq!(forwarded_name(kept).as_deref(), Some(kept));
        }
    }

    #[test]
    fn provider_headers_with_the_prefix_are_dropped() {
        assert_eq!(forwarded_name("x-sluice-original-svix-id"), None);
        assert_eq!(forwarded_name("X-Sluice-Original-anything"), None);
        assert_eq!(
            forwarded_name("x-sluice-other").as_deref(),
            Some("x-sluice-other")
        );
    }
}
