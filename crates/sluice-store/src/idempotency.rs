//! The vocabulary of idempotency keys as every backend keeps them: a request claims its key
//! in the store before it runs, so duplicates arriving at any node wait for its response
//! and replay it, instead of running again (zero2prod's `try_processing → NextAction`).
//!
//! A claim is a lease: it lasts until `now + lease_ms` unless its holder renews it, so a
//! key whose node died mid-request becomes free again. Taking over an expired claim hands
//! out a new token, which fences out the old holder: its late `finish` stores nothing.

use crate::CachedResponse;

/// What [`Store::idempotency_begin`](crate::Store::idempotency_begin) found for a key.
#[derive(Debug, Clone, PartialEq)]
pub enum IdempotencyBegin {
    /// The key was free (new, abandoned, or its holder's lease ran out): the caller holds it
    /// now, runs the request, and ends the claim with `token` (finish or abandon).
    Run {
        /// Fencing token of this claim.
        token: i64,
    },
    /// A response is stored for the key: replay it.
    Replay(CachedResponse),
    /// Another request holds the key, and its lease has not run out.
    InFlight,
}
