//! Stripe-signed events for the inbound phase: every request is a Stripe event of exactly
//! [`SIZE`](crate::payload::SIZE) bytes with a fresh `id` (Sluice dedupes on it), signed at
//! send time as Stripe does (`shared/reference/signatures.md` §3):
//! `Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256(key = the whole "whsec_…" secret as
//! UTF-8, msg = "<t>.<raw body>")>`.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{HeaderName, HeaderValue};
use sha2::Sha256;

use crate::payload::{now_ns, SIZE};

/// The header Stripe signs with.
pub const SIGNATURE: HeaderName = HeaderName::from_static("stripe-signature");

/// What Stripe's webhook sender calls itself.
pub const USER_AGENT: &str = "Stripe/1.0 (+https://stripe.com/docs/webhooks)";

/// Type of every event sent.
pub const EVENT_TYPE: &str = "invoice.paid";

type HmacSha256 = Hmac<Sha256>;

/// A fresh `whsec_…` secret (not cryptographically random: it only has to differ per run).
pub fn new_secret() -> String {
    let a = now_ns() ^ (u64::from(std::process::id()) << 32);
    let b = a.rotate_left(29).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!("whsec_{a:016x}{b:016x}")
}

/// Builds and signs Stripe events; shared by all connections of a run.
pub struct Signer {
    /// The HMAC keyed with the secret, cloned per request (the key schedule is done once).
    keyed: HmacSha256,
    /// Makes ids unique across runs as well as within one.
    nonce: u32,
    next: AtomicU64,
}

impl Signer {
    pub fn new(secret: &str) -> Self {
        Self {
            keyed: HmacSha256::new_from_slice(secret.as_bytes()).expect("any key length"),
            nonce: (now_ns() >> 10) as u32 ^ std::process::id().rotate_left(16),
            next: AtomicU64::new(0),
        }
    }

    /// The next event (a never-used id), signed with the current time.
    pub fn next(&self) -> (Bytes, HeaderValue) {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        self.sign(seq, now_ns() / 1_000_000_000)
    }

    /// Event number `seq` and its `Stripe-Signature` for timestamp `t` (unix seconds).
    pub fn sign(&self, seq: u64, t: u64) -> (Bytes, HeaderValue) {
        let body = event(&self.event_id(seq), t);
        let t = t.to_string();
        let mut mac = self.keyed.clone();
        mac.update(t.as_bytes());
        mac.update(b".");
        mac.update(&body);
        let v1 = hex::encode(mac.finalize().into_bytes());
        let header = HeaderValue::from_str(&format!("t={t},v1={v1}")).expect("ASCII header");
        (body, header)
    }

    /// `evt_` + 24 characters, like Stripe's ids: the run's nonce, then the sequence number.
    pub fn event_id(&self, seq: u64) -> String {
        format!("evt_{:08x}{seq:016}", self.nonce)
    }
}

/// A Stripe `invoice.paid` event of exactly [`SIZE`] bytes (the invoice's `description` pads it).
pub fn event(id: &str, created: u64) -> Bytes {
    let head = format!(
        r#"{{"id":"{id}","object":"event","api_version":"2024-06-20","created":{created},"type":"{EVENT_TYPE}","livemode":false,"pending_webhooks":1,"request":{{"id":null,"idempotency_key":null}},"data":{{"object":{{"id":"in_bench","object":"invoice","status":"paid","description":""#
    );
    let tail = r#""}}}"#;
    let pad = SIZE.saturating_sub(head.len() + tail.len());
    let mut body = String::with_capacity(SIZE);
    body.push_str(&head);
    body.extend(std::iter::repeat_n('x', pad));
    body.push_str(tail);
    Bytes::from(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lowercase hex HMAC-SHA256 of the concatenated `parts` under `key`.
    fn hmac_hex(key: &[u8], parts: &[&[u8]]) -> String {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
        for p in parts {
            mac.update(p);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// stripe-node `test/crypto/helpers.ts` (signatures.md §3): raw HMAC, key `test_secret`.
    #[test]
    fn official_raw_hmac_vectors() {
        let key = b"test_secret";
        let cases: [(&[u8], &str); 3] = [
            (
                b"",
                "f7f9bd47fb987337b5796fdc1fdb9ba221d0d5396814bfcaf9521f43fd8927fd",
            ),
            (
                br#"{"obj1":"hello","obj2":"world"}"#,
                "bebb1a643997f419b315ddba19e6f5411e1ce7f810ba6d3617ce72823092f363",
            ),
            (
                "\u{1F600}".as_bytes(),
                "837da296d05c4fe31f61d5d7ead035099d9585a5bcde87de952012a78f0b0c43",
            ),
        ];
        for (msg, want) in cases {
            assert_eq!(hmac_hex(key, &[msg]), want);
        }
        // Split input is the same MAC as the whole.
        assert_eq!(
            hmac_hex(key, &[br#"{"obj1":"hel"#, br#"lo","obj2":"world"}"#]),
            cases[1].1
        );
    }

    #[test]
    fn events_are_one_kib_json_with_unique_ids() {
        let signer = Signer::new(&new_secret());
        let mut ids = std::collections::HashSet::new();
        for seq in [0, 1, 2, 99_999_999, 9_999_999_999_999_999] {
            let (body, _) = signer.sign(seq, 1_700_000_000);
            assert_eq!(body.len(), SIZE);
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let id = v["id"].as_str().unwrap().to_string();
            assert!(id.starts_with("evt_") && id.len() == 28, "{id}");
            assert_eq!(v["type"], EVENT_TYPE);
            assert_eq!(v["created"], 1_700_000_000);
            assert!(ids.insert(id));
        }
        let (a, _) = signer.next();
        let (b, _) = signer.next();
        assert_ne!(a, b);
    }

    /// The header is exactly Stripe's: `t=<t>,v1=<hex HMAC(whole secret, "t.body")>`.
    #[test]
    fn header_is_stripe_signature() {
        let secret = "whsec_test_secret";
        let signer = Signer::new(secret);
        let (body, header) = signer.sign(7, 1_700_000_123);
        let want = hmac_hex(secret.as_bytes(), &[b"1700000123.", &body]);
        assert_eq!(header.to_str().unwrap(), format!("t=1700000123,v1={want}"));
    }

    /// Sluice's own Stripe verifier accepts what the bench sends, with its event id and
    /// type, and refuses a tampered body.
    #[test]
    fn sluice_verifier_accepts_it() {
        use sluice_core::inbound::{stripe, Request, Verdict};
        let secret = new_secret();
        let signer = Signer::new(&secret);
        let (body, header) = signer.next();
        let headers = vec![(
            "Stripe-Signature".to_string(),
            header.to_str().unwrap().to_string(),
        )];
        let now = (now_ns() / 1_000_000_000) as i64;
        let req = Request {
            method: "POST",
            url: "http://127.0.0.1/ingest/x",
            headers: &headers,
            body: &body,
            now,
        };
        let secrets = [secret];
        let verdict = stripe::verify(&secrets, stripe::DEFAULT_TOLERANCE_SECS, &req).unwrap();
        assert_eq!(
            verdict,
            Verdict::Verified {
                event_id: Some(signer.event_id(0)),
                event_type: Some(EVENT_TYPE.into()),
            }
        );
        let mut tampered = body.to_vec();
        tampered[SIZE - 5] = b'y';
        let req = Request {
            body: &tampered,
            ..req
        };
        assert!(stripe::verify(&secrets, stripe::DEFAULT_TOLERANCE_SECS, &req).is_err());
    }
}
