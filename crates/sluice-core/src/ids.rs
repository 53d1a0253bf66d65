//! Prefixed, time-sortable identifiers.
//!
//! An id is a short type prefix (`app_`, `ep_`, ...) followed by 27 base62 characters that
//! encode 20 bytes: 6 bytes of milliseconds since the Unix epoch and 14 random bytes. The
//! alphabet is in ASCII order, so ids of one type sort by creation time as plain strings;
//! cursor pagination relies on that.

use rand::RngCore;

/// Prefix of application ids.
pub const APP: &str = "app";
/// Prefix of endpoint ids.
pub const ENDPOINT: &str = "ep";
/// Prefix of message ids.
pub const MESSAGE: &str = "msg";
/// Prefix of attempt ids.
pub const ATTEMPT: &str = "atmpt";
/// Prefix of delivery ids (one per message and endpoint).
pub const DELIVERY: &str = "msgep";
/// Prefix of event type ids.
pub const EVENT_TYPE: &str = "evtype";
/// Prefix of background task ids (recover).
pub const TASK: &str = "qtask";
/// Prefix of inbound source ids.
pub const SOURCE: &str = "src";
/// Prefix of organisation ids.
pub const ORG: &str = "org";
/// Prefix of integration ids.
pub const INTEGRATION: &str = "integ";

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ENCODED_LEN: usize = 27;

/// A new id with `prefix`, stamped with `now_ms`.
pub fn new_id(prefix: &str, now_ms: i64) -> String {
    let mut bytes = [0u8; 20];
    let ms = (now_ms.max(0) as u64).to_be_bytes();
    bytes[..6].copy_from_slice(&ms[2..]);
    rand::thread_rng().fill_bytes(&mut bytes[6..]);
    let mut out = String::with_capacity(prefix.len() + 1 + ENCODED_LEN);
    out.push_str(prefix);
    out.push('_');
    out.push_str(&base62(bytes));
    out
}

/// The smallest id of type `prefix` created at or after `ms`: a cursor bound for time filters.
pub fn lower_bound(prefix: &str, ms: i64) -> String {
    let mut bytes = [0u8; 20];
    bytes[..6].copy_from_slice(&(ms.max(0) as u64).to_be_bytes()[2..]);
    format!("{prefix}_{}", base62(bytes))
}

/// Whether `s` has the shape of an id of type `prefix` (as opposed to a user-chosen uid).
pub fn is_id(prefix: &str, s: &str) -> bool {
    s.len() == prefix.len() + 1 + ENCODED_LEN
        && s.starts_with(prefix)
        && s.as_bytes()[prefix.len()] == b'_'
        && s[prefix.len() + 1..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

/// Fixed-width base62 of a 160-bit big-endian number.
fn base62(mut bytes: [u8; 20]) -> String {
    let mut digits = [b'0'; ENCODED_LEN];
    for slot in digits.iter_mut().rev() {
        // Long division of the byte array by 62; the remainder is the next digit.
        let mut rem: u32 = 0;
        for b in bytes.iter_mut() {
            let acc = (rem << 8) | u32::from(*b);
            *b = (acc / 62) as u8;
            rem = acc % 62;
        }
        *slot = ALPHABET[rem as usize];
    }
    String::from_utf8(digits.to_vec()).expect("alphabet is ascii")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_have_fixed_shape() {
        let a = new_id(MESSAGE, 1_700_000_000_000);
        let b = new_id(MESSAGE, 1_700_000_000_001);
        assert!(a < b, "{a} should sort before {b}");
        assert!(is_id(MESSAGE, &a));
        assert!(!is_id(APP, &a));
        assert!(!is_id(MESSAGE, "msg_short"));
        assert!(lower_bound(MESSAGE, 1_700_000_000_001) <= b);
        assert!(lower_bound(MESSAGE, 1_700_000_000_001) > a);
    }

    #[test]
    fn base62_of_max_fits_width() {
        assert_eq!(base62([0xff; 20]).len(), ENCODED_LEN);
        assert_eq!(base62([0; 20]), "0".repeat(ENCODED_LEN));
    }
}
