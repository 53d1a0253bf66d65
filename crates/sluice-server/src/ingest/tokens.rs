//! Ingest-URL tokens: random, url-safe, looked up by hash so the clear token is only ever
//! at rest inside the sealed source row.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use blake2::{Blake2s256, Digest};
use rand::RngCore;

/// Random bytes per token (192 bits: unguessable).
const TOKEN_BYTES: usize = 24;

/// A new token: 32 url-safe characters.
pub fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The key the store indexes a token by.
pub fn token_hash(token: &str) -> String {
    let digest = Blake2s256::digest(token.as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// The public URL a provider posts to.
pub fn ingest_url(base: &str, token: &str) -> String {
    format!("{base}/ingest/{token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_url_safe() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_ne!(token_hash(&a), a);
    }
}
