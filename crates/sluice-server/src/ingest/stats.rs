//! Counters of what the ingest route did, by outcome and by rejection reason, since the
//! process started. Served at `GET /ingest/api/v1/stats`.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use sluice_core::inbound::Rejection;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct InboundStats {
    accepted: AtomicU64,
    duplicates: AtomicU64,
    handshakes: AtomicU64,
    unknown_source: AtomicU64,
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
    /// No source has this token (or it expired).
    UnknownSource,
    /// The peer address is not in the source's allow-list.
    ForbiddenIp,
    /// The body exceeded `max_payload_bytes`.
    TooLarge,
    /// Verified, but the body is not UTF-8 text.
    NotText,
}

/// The wire form of the counters.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StatsOut {
    /// Stored and queued.
    pub accepted: u64,
    /// Dropped as duplicates (answered 200).
    pub duplicates: u64,
    /// Handshakes answered.
    pub handshakes: u64,
    /// Unknown or expired tokens (404).
    pub unknown_source: u64,
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
    /// Counts one outcome.
    pub fn count(&self, what: Counted) {
        let c = match what {
            Counted::Accepted => &self.accepted,
            Counted::Duplicate => &self.duplicates,
            Counted::Handshake => &self.handshakes,
            Counted::UnknownSource => &self.unknown_source,
            Counted::ForbiddenIp => &self.forbidden_ip,
            Counted::TooLarge => &self.too_large,
            Counted::NotText => &self.not_text,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one verification failure under its reason code.
    pub fn reject(&self, r: &Rejection) {
        if let Some(i) = Rejection::CODES.iter().position(|c| *c == r.code()) {
            self.rejected[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A copy of every counter.
    pub fn snapshot(&self) -> StatsOut {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsOut {
            accepted: get(&self.accepted),
            duplicates: get(&self.duplicates),
            handshakes: get(&self.handshakes),
            unknown_source: get(&self.unknown_source),
            forbidden_ip: get(&self.forbidden_ip),
            too_large: get(&self.too_large),
            not_text: get(&self.not_text),
            rejected: Rejection::CODES
                .iter()
                .zip(&self.rejected)
                .map(|(code, c)| (*code, get(c)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_counter() {
        let s = InboundStats::default();
        s.reject(&Rejection::BadSignature);
        s.reject(&Rejection::BadSignature);
        s.reject(&Rejection::MissingHeader("x"));
        s.count(Counted::Duplicate);
        let out = s.snapshot();
        assert_eq!(out.rejected.len(), Rejection::CODES.len());
        assert_eq!(out.rejected["bad_signature"], 2);
        assert_eq!(out.rejected["missing_header"], 1);
        assert_eq!(out.rejected["stale_timestamp"], 0);
        assert_eq!((out.duplicates, out.accepted), (1, 0));
    }
}
