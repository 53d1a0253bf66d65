//! Encryption of secrets at rest (endpoint and source secrets, cached API responses), with
//! XChaCha20-Poly1305 and a random 24-byte nonce.
//!
//! The master key comes from configuration or is generated once into the data directory;
//! the store only ever sees sealed bytes.

use std::collections::BTreeMap;

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

const NONCE_LEN: usize = 24;

/// Seals and opens secrets with one master key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

/// A sealed secret could not be opened (wrong master key or corrupted row).
#[derive(Debug, thiserror::Error)]
#[error("sealed secret could not be opened")]
pub struct OpenError;

impl SecretBox {
    /// A box from a 32-byte master key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    /// A fresh random master key.
    pub fn generate_key() -> [u8; 32] {
        let mut k = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut k);
        k
    }

    /// `nonce ‖ ciphertext` of `plain`.
    pub fn seal(&self, plain: &str) -> Vec<u8> {
        self.seal_bytes(plain.as_bytes())
    }

    /// Custom endpoint headers, sealed as one JSON object; no headers seal to nothing.
    pub fn seal_headers(&self, headers: &BTreeMap<String, String>) -> Vec<u8> {
        if headers.is_empty() {
            return Vec::new();
        }
        let json = serde_json::to_vec(headers).expect("a string map always serialises");
        self.seal_bytes(&json)
    }

    /// The headers sealed by [`SecretBox::seal_headers`].
    pub fn open_headers(&self, sealed: &[u8]) -> Result<BTreeMap<String, String>, OpenError> {
        if sealed.is_empty() {
            return Ok(BTreeMap::new());
        }
        serde_json::from_slice(&self.open_bytes(sealed)?).map_err(|_| OpenError)
    }

    /// `nonce ‖ ciphertext` of arbitrary bytes (e.g. a cached API response).
    pub fn seal_bytes(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plain)
            .expect("encryption in memory cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        out
    }

    /// The plaintext of a sealed secret.
    pub fn open(&self, sealed: &[u8]) -> Result<String, OpenError> {
        String::from_utf8(self.open_bytes(sealed)?).map_err(|_| OpenError)
    }

    /// The bytes sealed by [`SecretBox::seal_bytes`].
    pub fn open_bytes(&self, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        if sealed.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), ct)
            .map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_hides_plaintext() {
        let b = SecretBox::new(&SecretBox::generate_key());
        let sealed = b.seal("whsec_abc");
        assert!(!sealed.windows(9).any(|w| w == b"whsec_abc"));
        assert_eq!(b.open(&sealed).unwrap(), "whsec_abc");
        let other = SecretBox::new(&SecretBox::generate_key());
        assert!(other.open(&sealed).is_err());
    }

    #[test]
    fn headers_round_trip_sealed() {
        let b = SecretBox::new(&SecretBox::generate_key());
        assert!(b.seal_headers(&BTreeMap::new()).is_empty());
        assert!(b.open_headers(&[]).unwrap().is_empty());
        let h = BTreeMap::from([("Authorization".to_string(), "Bearer tok123".to_string())]);
        let sealed = b.seal_headers(&h);
        assert!(!sealed.windows(8).any(|w| w == b"tok123\"}"[..8].as_ref()));
        assert!(!String::from_utf8_lossy(&sealed).contains("tok123"));
        assert_eq!(b.open_headers(&sealed).unwrap(), h);
    }
}
