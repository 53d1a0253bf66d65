//! What an event without a provider event id is deduplicated on.
//!
//! Some verified events carry no id a provider keeps across its retries: a Stripe body
//! without `id`, a GitHub delivery without `X-GitHub-Delivery`, Slack slash commands and
//! interactivity, Zoom and Meta (which document none), Twilio without an idempotency
//! token, a `generic-webhook` without an id setting. Such an event is deduplicated on a
//! SHA-256 of its content instead, within the same window as ids.
//!
//! What the digest covers is what a provider repeats when it redelivers, and nothing it
//! changes:
//!
//! - **The body, byte for byte.** Every provider redelivers the same body: GitHub's
//!   "Redeliver" and automatic retries send the identical payload, Stripe, Slack, Zoom,
//!   Paddle and Shopify retry the event they already built.
//! - **Not the signed timestamp.** Where the timestamp is signed (Stripe's `t=`, Slack's
//!   and Zoom's `…-request-timestamp`, Paddle's `ts=`, Standard Webhooks'), a retry is
//!   signed afresh at the time it is sent: a digest over the timestamp would make every
//!   retry new and dedupe nothing but a verbatim replay. Replays of one request are
//!   already bounded by the timestamp window; leaving the timestamp out also catches the
//!   retries, which is the purpose. The signature is left out for the same reason.
//! - **The method and the query, where they are the content.** Twilio signs the full URL
//!   and sends `GET` webhooks with every parameter in the query and an empty body, and a
//!   `generic-webhook` sender is not signed at all, so its whole request is what it sent:
//!   for those two the method and query count too (otherwise every bodiless request would
//!   be one event). The path is the source's token and is left out, so a redelivery to a
//!   rotated token is still recognised.
//!
//! Two different events with byte-identical content within the window are therefore one
//! event. Providers put an id or a timestamp into their bodies, so this happens only for a
//! sender whose distinct events are identical, e.g. a `generic-webhook` ping with an empty
//! body; such a source should set `idHeader` or `idJsonPointer`.

use sha2::{Digest, Sha256};

use super::common::{body_digest, query_of};
use super::{ContentKey, Request, SourceConfig};

/// The dedupe key of a verified event that has no provider event id: `sha256:<hex>` of the
/// body (the same value as [`body_digest`]), or `sha256:req:<hex>` over method, query and
/// body for the schemes whose query is part of the content (see the module doc); which of
/// the two is the provider's [`ContentKey`].
pub fn content_key(config: &SourceConfig, req: &Request<'_>) -> String {
    match config.provider.content_key {
        ContentKey::Request => {
            let mut h = Sha256::new();
            // Length-prefixed, so no two (method, query, body) triples hash alike.
            for part in [
                req.method.to_ascii_uppercase().as_bytes(),
                query_of(req.url).as_bytes(),
            ] {
                h.update((part.len() as u64).to_be_bytes());
                h.update(part);
            }
            h.update(req.body);
            format!("sha256:req:{}", hex::encode(h.finalize()))
        }
        ContentKey::Body => body_digest(req.body),
    }
}
