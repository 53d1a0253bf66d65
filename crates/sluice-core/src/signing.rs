//! Standard Webhooks signatures: `v1` (HMAC-SHA256, `whsec_` secrets) and `v1a`
//! (Ed25519, `whsk_` secret keys / `whpk_` public keys).
//!
//! The signed content is `{msg_id}.{timestamp}.{body}` over the exact body bytes sent.
//! Timestamps are canonical decimal seconds: the reference verifiers re-format the parsed
//! integer before computing the MAC, so anything else would not verify.

use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use ed25519_dalek::{Signer, Verifier};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Default tolerance between the signed timestamp and the receiver's clock.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a secret or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The secret is not `whsec_`/`whsk_` + base64 of an acceptable length.
    #[error("invalid secret: {0}")]
    InvalidSecret(&'static str),
    /// A required header is absent.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// The timestamp is not an integer.
    #[error("invalid timestamp")]
    InvalidTimestamp,
    /// The timestamp is outside the tolerance window.
    #[error("timestamp outside the tolerance window")]
    StaleTimestamp,
    /// No signature in the header matches.
    #[error("no matching signature")]
    NoMatch,
}

/// A key that signs outbound messages.
#[derive(Clone)]
pub enum SigningKey {
    /// `v1`: HMAC-SHA256 with raw key bytes.
    Hmac(Vec<u8>),
    /// `v1a`: Ed25519.
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material, even in debug output.
        match self {
            Self::Hmac(_) => f.write_str("SigningKey::Hmac(..)"),
            Self::Ed25519(_) => f.write_str("SigningKey::Ed25519(..)"),
        }
    }
}

/// Standard-alphabet base64 that, like the Python reference verifier, accepts missing
/// padding and non-zero trailing bits (the official unpadded-secret vectors need both).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

fn b64_decode_lenient(s: &str) -> Option<Vec<u8>> {
    LENIENT.decode(s).ok()
}

impl SigningKey {
    /// Parses `whsec_<base64>` (any non-empty key, as the reference verifiers accept; the
    /// prefix is optional) or
    /// `whsk_<base64(seed ‖ public key)>`.
    pub fn parse(secret: &str) -> Result<Self, SignatureError> {
        if let Some(rest) = secret.strip_prefix("whsk_") {
            let bytes =
                b64_decode_lenient(rest).ok_or(SignatureError::InvalidSecret("not base64"))?;
            let seed: [u8; 32] = bytes
                .get(..32)
                .and_then(|s| s.try_into().ok())
                .filter(|_| bytes.len() == 64)
                .ok_or(SignatureError::InvalidSecret("whsk_ keys hold 64 bytes"))?;
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            if key.verifying_key().as_bytes() != &bytes[32..] {
                return Err(SignatureError::InvalidSecret(
                    "public half does not match the seed",
                ));
            }
            return Ok(Self::Ed25519(Box::new(key)));
        }
        let body = secret.strip_prefix("whsec_").unwrap_or(secret);
        let bytes = b64_decode_lenient(body).ok_or(SignatureError::InvalidSecret("not base64"))?;
        if bytes.is_empty() {
            return Err(SignatureError::InvalidSecret("empty key"));
        }
        Ok(Self::Hmac(bytes))
    }

    /// Signs `{msg_id}.{timestamp}.{body}`; returns one `v1,…` or `v1a,…` token.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        match self {
            Self::Hmac(key) => {
                let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("hmac takes any key size");
                feed_signed_content(|b| mac.update(b), msg_id, timestamp, body);
                format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
            }
            Self::Ed25519(key) => {
                let mut content = Vec::with_capacity(msg_id.len() + 24 + body.len());
                feed_signed_content(|b| content.extend_from_slice(b), msg_id, timestamp, body);
                format!("v1a,{}", STANDARD.encode(key.sign(&content).to_bytes()))
            }
        }
    }

    /// The `whpk_` public key of an Ed25519 key, `None` for HMAC.
    pub fn public_key(&self) -> Option<String> {
        match self {
            Self::Hmac(_) => None,
            Self::Ed25519(k) => Some(format!(
                "whpk_{}",
                STANDARD.encode(k.verifying_key().as_bytes())
            )),
        }
    }
}

fn feed_signed_content(mut feed: impl FnMut(&[u8]), msg_id: &str, ts: i64, body: &[u8]) {
    feed(msg_id.as_bytes());
    feed(b".");
    feed(ts.to_string().as_bytes());
    feed(b".");
    feed(body);
}

/// Checks a user-supplied endpoint secret: `whsec_` with 24–75 key bytes (Svix's bounds)
/// or a valid `whsk_` Ed25519 key.
pub fn validate_endpoint_secret(secret: &str) -> Result<(), SignatureError> {
    match SigningKey::parse(secret)? {
        SigningKey::Hmac(k) if !secret.starts_with("whsec_") || !(24..=75).contains(&k.len()) => {
            Err(SignatureError::InvalidSecret(
                "must be whsec_ followed by base64 of 24 to 75 bytes",
            ))
        }
        _ => Ok(()),
    }
}

/// A new random `whsec_` secret (24 bytes, as Svix generates).
pub fn generate_secret() -> String {
    let mut key = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut key);
    format!("whsec_{}", STANDARD.encode(key))
}

/// The `webhook-signature` value: one token per key, space-separated.
pub fn signature_header(keys: &[SigningKey], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|k| k.sign(msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A key that verifies: the HMAC secret, or the `whpk_` public key.
#[derive(Clone)]
pub enum VerifyingKey {
    /// `v1` tokens.
    Hmac(Vec<u8>),
    /// `v1a` tokens.
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl VerifyingKey {
    /// Parses `whsec_…` or `whpk_…`.
    pub fn parse(s: &str) -> Result<Self, SignatureError> {
        if let Some(rest) = s.strip_prefix("whpk_") {
            let bytes =
                b64_decode_lenient(rest).ok_or(SignatureError::InvalidSecret("not base64"))?;
            let arr: [u8; 32] = bytes
                .try_into()
                .map_err(|_| SignatureError::InvalidSecret("whpk_ keys hold 32 bytes"))?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&arr)
                .map_err(|_| SignatureError::InvalidSecret("not an ed25519 point"))?;
            return Ok(Self::Ed25519(key));
        }
        match SigningKey::parse(s)? {
            SigningKey::Hmac(k) => Ok(Self::Hmac(k)),
            SigningKey::Ed25519(k) => Ok(Self::Ed25519(k.verifying_key())),
        }
    }
}

/// Verifies a Standard Webhooks request: `timestamp` and `signatures` are the raw header
/// values, `now` is unix seconds. Any one matching token among any of `keys` suffices.
pub fn verify(
    keys: &[VerifyingKey],
    msg_id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::InvalidTimestamp)?;
    // Checked: a hostile timestamp such as i64::MIN must not overflow into "in tolerance".
    let off_by = now.checked_sub(ts).map(i64::unsigned_abs);
    if off_by.is_none_or(|d| d > tolerance_secs.unsigned_abs()) {
        return Err(SignatureError::StaleTimestamp);
    }
    for token in signatures.split(' ') {
        let Some((version, sig_b64)) = token.split_once(',') else {
            continue;
        };
        let Some(sig) = b64_decode_lenient(sig_b64) else {
            continue;
        };
        for key in keys {
            let ok = match (version, key) {
                ("v1", VerifyingKey::Hmac(k)) => {
                    let mut mac =
                        Hmac::<Sha256>::new_from_slice(k).expect("hmac takes any key size");
                    feed_signed_content(|b| mac.update(b), msg_id, ts, body);
                    bool::from(mac.finalize().into_bytes().as_slice().ct_eq(&sig))
                }
                ("v1a", VerifyingKey::Ed25519(k)) => {
                    let Ok(sig) = ed25519_dalek::Signature::from_slice(&sig) else {
                        continue;
                    };
                    let mut content = Vec::new();
                    feed_signed_content(|b| content.extend_from_slice(b), msg_id, ts, body);
                    k.verify(&content, &sig).is_ok()
                }
                _ => false,
            };
            if ok {
                return Ok(());
            }
        }
    }
    Err(SignatureError::NoMatch)
}

#[cfg(test)]
mod tests {
    //! Official Standard Webhooks vectors (shared/reference/signatures.md §1.2).
    use super::*;

    const SW1_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SW1_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SW1_TS: i64 = 1614265330;
    const SW1_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SW1_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn hmac_key(s: &str) -> Vec<VerifyingKey> {
        vec![VerifyingKey::parse(s).unwrap()]
    }

    #[test]
    fn sw1_sign_and_verify() {
        let key = SigningKey::parse(SW1_SECRET).unwrap();
        assert_eq!(key.sign(SW1_ID, SW1_TS, SW1_BODY), SW1_SIG);
        let keys = hmac_key(SW1_SECRET);
        assert_eq!(
            verify(&keys, SW1_ID, "1614265330", SW1_SIG, SW1_BODY, SW1_TS, 300),
            Ok(())
        );
        let forged = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=";
        assert_eq!(
            verify(&keys, SW1_ID, "1614265330", forged, SW1_BODY, SW1_TS, 300),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn sw1_multi_signature_header() {
        let header = format!(
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {SW1_SIG} v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
        );
        let keys = hmac_key(SW1_SECRET);
        assert_eq!(
            verify(&keys, SW1_ID, "1614265330", &header, SW1_BODY, SW1_TS, 300),
            Ok(())
        );
    }

    #[test]
    fn sw1_rejects_tampering_and_staleness() {
        let keys = hmac_key(SW1_SECRET);
        let tampered = br#"{"test": 2432232315}"#;
        assert_eq!(
            verify(&keys, SW1_ID, "1614265330", SW1_SIG, tampered, SW1_TS, 300),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(
                &keys,
                SW1_ID,
                "1614265330",
                SW1_SIG,
                SW1_BODY,
                SW1_TS + 301,
                300
            ),
            Err(SignatureError::StaleTimestamp)
        );
        assert_eq!(
            verify(
                &keys,
                SW1_ID,
                "1614265330",
                SW1_SIG,
                SW1_BODY,
                SW1_TS - 301,
                300
            ),
            Err(SignatureError::StaleTimestamp)
        );
        assert_eq!(
            verify(&keys, SW1_ID, "abc", SW1_SIG, SW1_BODY, SW1_TS, 300),
            Err(SignatureError::InvalidTimestamp)
        );
        for hostile in ["-9223372036854775808", "9223372036854775807"] {
            assert_eq!(
                verify(&keys, SW1_ID, hostile, SW1_SIG, SW1_BODY, SW1_TS, 300),
                Err(SignatureError::StaleTimestamp),
                "{hostile}"
            );
        }
    }

    #[test]
    fn unpadded_secrets_parse() {
        for s in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr",
        ] {
            assert!(SigningKey::parse(s).is_ok(), "{s}");
            assert!(SigningKey::parse(&format!("whsec_{s}")).is_ok(), "{s}");
        }
        assert!(SigningKey::parse("whsec_").is_err());
        assert!(validate_endpoint_secret("whsec_c2hvcnQ=").is_err());
        assert!(validate_endpoint_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(validate_endpoint_secret(SW1_SECRET).is_ok());
    }

    #[test]
    fn sw2_vector() {
        let key = SigningKey::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        assert_eq!(
            key.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, body),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn v1a_vector() {
        let sk = "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==";
        let key = SigningKey::parse(sk).unwrap();
        assert_eq!(
            key.public_key().unwrap(),
            "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="
        );
        let sig = key.sign(SW1_ID, SW1_TS, SW1_BODY);
        assert_eq!(
            sig,
            "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="
        );
        let pk =
            vec![VerifyingKey::parse("whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=").unwrap()];
        assert_eq!(
            verify(&pk, SW1_ID, "1614265330", &sig, SW1_BODY, SW1_TS, 300),
            Ok(())
        );
        assert_eq!(
            verify(&pk, SW1_ID, "1614265330", &sig, b"{}", SW1_TS, 300),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn generated_secrets_round_trip() {
        let s = generate_secret();
        let k = SigningKey::parse(&s).unwrap();
        let header = signature_header(&[k], "msg_x", 10, b"{}");
        assert_eq!(
            verify(&hmac_key(&s), "msg_x", "10", &header, b"{}", 10, 300),
            Ok(())
        );
    }
}
