//! The request body every phase sends: a Svix `MessageIn` of exactly [`SIZE`] bytes whose
//! `payload` carries the send time, so the receiver can compute delivery latency.

use bytes::Bytes;
use serde::Deserialize;

/// Size of every published body, in bytes.
pub const SIZE: usize = 1024;

/// Event type of every published message.
pub const EVENT_TYPE: &str = "bench.event";

/// A `MessageIn` body of exactly [`SIZE`] bytes. `sent_at_ns` is the send time in unix
/// nanoseconds (0 when not measured); `measure` marks messages whose delivery latency counts.
pub fn message(sent_at_ns: u64, measure: bool, seq: u64) -> Bytes {
    let head = format!(
        r#"{{"eventType":"{EVENT_TYPE}","payload":{{"sentAtNs":{sent_at_ns},"measure":{},"seq":{seq},"data":""#,
        u8::from(measure)
    );
    let tail = r#""}}"#;
    let pad = SIZE.saturating_sub(head.len() + tail.len());
    let mut body = String::with_capacity(SIZE);
    body.push_str(&head);
    body.extend(std::iter::repeat_n('x', pad));
    body.push_str(tail);
    Bytes::from(body)
}

/// What the receiver reads from a delivered body. Sluice delivers the message's `payload`;
/// a body that wraps it in `payload` (the whole `MessageIn`) is accepted too.
#[derive(Debug, Default, Deserialize)]
pub struct Delivered {
    #[serde(default, rename = "sentAtNs")]
    pub sent_at_ns: u64,
    #[serde(default)]
    pub measure: u8,
    #[serde(default)]
    pub payload: Option<Box<Delivered>>,
}

impl Delivered {
    /// Parses a delivered body; anything unreadable counts as an unmeasured delivery.
    pub fn parse(body: &[u8]) -> Self {
        let d: Self = serde_json::from_slice(body).unwrap_or_default();
        match d.payload {
            Some(inner) if d.sent_at_ns == 0 => *inner,
            _ => d,
        }
    }

    /// Whether this delivery's latency is measured.
    pub fn measured(&self) -> bool {
        self.measure == 1 && self.sent_at_ns > 0
    }
}

/// Current time in unix nanoseconds.
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_exactly_one_kib_and_round_trip() {
        for (ns, m, seq) in [(0, false, 0), (now_ns(), true, 123_456_789)] {
            let b = message(ns, m, seq);
            assert_eq!(b.len(), SIZE);
            let whole = Delivered::parse(&b);
            assert_eq!(whole.sent_at_ns, ns);
            assert_eq!(whole.measured(), m);
            let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
            let inner = serde_json::to_vec(&v["payload"]).unwrap();
            let d = Delivered::parse(&inner);
            assert_eq!((d.sent_at_ns, d.measured()), (ns, m));
        }
        assert!(!Delivered::parse(b"not json").measured());
    }
}
