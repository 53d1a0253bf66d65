//! Counters of what the ingest route did, by outcome and by rejection reason, since the
//! process started, kept per organisation. Served at `GET /ingest/api/v1/stats`, where each
//! org sees only its own sources' counts: one tenant's traffic (volume, attacks, rejection
//! reasons) is nobody else's business.
//!
//! A request with an unknown ingest token names no source and so no org: it is logged,
//! not counted here.
//!
//! Every refusal is also counted, without any tenant's id, in
//! `sluice_inbound_rejections_total{reason}` (see [`REJECTION_REASONS`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use serde::Serialize;
use sluice_core::inbound::Rejection;

/// The `reason` values of `sluice_inbound_rejections_total`: besides the verification
/// codes, the refusals before verification.
pub const PRE_VERIFICATION_REASONS: &[&str] =
    &["forbidden_ip", "too_large", "not_text", "unknown_token"];

/// Every `reason` of `sluice_inbound_rejections_total`.
pub fn rejection_reasons() -> impl Iterator<Item = &'static str> {
    PRE_VERIFICATION_REASONS
        .iter()
        .chain(Rejection::CODES)
        .copied()
}

/// See the module documentation.
#[derive(Debug, Default)]
pub struct InboundStats {
    by_org: RwLock<HashMap<String, Counters>>,
    /// Recent rejections per source, for `source.verification.failing`.
    pub failures: super::alarm::SourceFailures,
}

/// One org's counters.
#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    duplicates: AtomicU64,
    handshakes: AtomicU64,
    forbidden_ip: AtomicU64,
    too_large: AtomicU64,
    not_text: AtomicU64,
    rejected: [AtomicU64; Rejection::CODES.len()],
}

/// What the counters are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Verified, stored and queued for forwarding.
    Accepted,
    /// Verified, but its event id was seen inside the dedupe window.
    Duplicate,
    /// A provider handshake answered.
    Handshake,
    /// The peer address is not in the source's allow-list.
    ForbiddenIp,
    /// The body exceeded `max_payload_bytes`.
    TooLarge,
    /// Verified, but the body is not UTF-8 text.
    NotText,
}

/// The wire form of one org's counters.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StatsOut {
    /// Stored and queued.
    pub accepted: u64,
    /// Dropped as duplicates (answered 200).
    pub duplicates: u64,
    /// Handshakes answered.
    pub handshakes: u64,
    /// Refused by an IP allow-list (403).
    pub forbidden_ip: u64,
    /// Bodies over the limit (413).
    pub too_large: u64,
    /// Bodies that are not UTF-8 (400).
    pub not_text: u64,
    /// Verification failures by reason code (every code listed, zeros included).
    pub rejected: std::collections::BTreeMap<&'static str, u64>,
}

impl InboundStats {
    /// Runs `f` on the counters of `org`, created on its first event. The read lock is the
    /// common path (counters are atomics); the write lock is taken once per org.
    fn with(&self, org: &str, f: impl FnOnce(&Counters)) {
        if let Some(c) = self.by_org.read().expect("stats lock poisoned").get(org) {
            return f(c);
        }
        f(self
            .by_org
            .write()
            .expect("stats lock poisoned")
            .entry(org.to_string())
            .or_default());
    }

    /// Counts one outcome of a source of `org`.
    pub fn count(&self, org: &str, what: Counted) {
        let refused = match what {
            Counted::ForbiddenIp => Some("forbidden_ip"),
            Counted::TooLarge => Some("too_large"),
            Counted::NotText => Some("not_text"),
            Counted::Accepted | Counted::Duplicate | Counted::Handshake => None,
        };
        if let Some(reason) = refused {
            crate::telemetry::count_rejection(reason);
        }
        self.with(org, |c| {
            let c = match what {
                Counted::Accepted => &c.accepted,
                Counted::Duplicate => &c.duplicates,
                Counted::Handshake => &c.handshakes,
                Counted::ForbiddenIp => &c.forbidden_ip,
                Counted::TooLarge => &c.too_large,
                Counted::NotText => &c.not_text,
            };
            c.fetch_add(1, Ordering::Relaxed);
        });
    }

    /// Counts one verification failure of a source of `org` under its reason code.
    pub fn reject(&self, org: &str, r: &Rejection) {
        crate::telemetry::count_rejection(r.code());
        if let Some(i) = Rejection::CODES.iter().position(|c| *c == r.code()) {
            self.with(org, |c| {
                c.rejected[i].fetch_add(1, Ordering::Relaxed);
            });
        }
    }

    /// A copy of `org`'s counters (zeros for an org without inbound traffic).
    pub fn snapshot(&self, org: &str) -> StatsOut {
        let map = self.by_org.read().expect("stats lock poisoned");
        let zeros = Counters::default();
        let counters = map.get(org).unwrap_or(&zeros);
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsOut {
            accepted: get(&counters.accepted),
            duplicates: get(&counters.duplicates),
            handshakes: get(&counters.handshakes),
            forbidden_ip: get(&counters.forbidden_ip),
            too_large: get(&counters.too_large),
            not_text: get(&counters.not_text),
            rejected: Rejection::CODES
                .iter()
                .zip(&counters.rejected)
                .map(|(code, c)| (*code, get(c)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_counter_and_orgs_are_apart() {
        let s = InboundStats::default();
        s.reject("org_a", &Rejection::BadSignature);
        s.reject("org_a", &Rejection::BadSignature);
        s.reject("org_a", &Rejection::MissingHeader("x"));
        s.count("org_a", Counted::Duplicate);
        s.count("org_b", Counted::Accepted);
        let out = s.snapshot("org_a");
        assert_eq!(out.rejected.len(), Rejection::CODES.len());
        assert_eq!(out.rejected["bad_signature"], 2);
        assert_eq!(out.rejected["missing_header"], 1);
        assert_eq!(out.rejected["stale_timestamp"], 0);
        assert_eq!((out.duplicates, out.accepted), (1, 0));
        let b = s.snapshot("org_b");
        assert_eq!((b.accepted, b.rejected["bad_signature"]), (1, 0));
        assert_eq!(s.snapshot("org_c").accepted, 0);
    }
}
