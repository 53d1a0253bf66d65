//! Meta (Facebook, Instagram, WhatsApp Cloud API) webhooks.
//!
//! Not in signatures.md; the scheme is Meta's "Webhooks › Getting started" page:
//! - Subscription handshake: `GET ?hub.mode=subscribe&hub.verify_token=<token>
//!   &hub.challenge=<challenge>`; answer 200 with the challenge when the token is the one
//!   configured, else refuse.
//! - Events: `POST` with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>`,
//!   byte for byte GitHub's scheme, so it reuses [`super::github`]'s check.
//!
//! No timestamp, no event id: a payload batches `entry[]` items. Deduplicated on the
//! SHA-256 of the body ([`super::content_key`]), so a byte-identical redelivery is dropped.
//! Event type: body `object` (`page`, `instagram`, `whatsapp_business_account`, …).

use super::common::{ct_eq_str, json, query_of, text_at};
use super::github::check_hub_signature_256;
use super::{Rejection, Request, Verdict};

/// Verifies a Meta request: the GET handshake or a signed POST.
pub fn verify(
    app_secrets: &[String],
    verify_token: &str,
    req: &Request<'_>,
) -> Result<Verdict, Rejection> {
    if req.method.eq_ignore_ascii_case("GET") {
        return handshake(verify_token, req);
    }
    if !req.method.eq_ignore_ascii_case("POST") {
        return Err(Rejection::MethodNotAllowed);
    }
    check_hub_signature_256(app_secrets, req)?;
    let event_type = json(req.body).and_then(|v| text_at(&v, "/object"));
    Ok(Verdict::verified(None, event_type))
}

fn handshake(verify_token: &str, req: &Request<'_>) -> Result<Verdict, Rejection> {
    if verify_token.is_empty() {
        return Err(Rejection::Misconfigured("no verify token configured"));
    }
    let (mut mode, mut token, mut challenge) = (None, None, None);
    for (k, v) in form_urlencoded::parse(query_of(req.url).as_bytes()) {
        let slot = match &*k {
            "hub.mode" => &mut mode,
            "hub.verify_token" => &mut token,
            "hub.challenge" => &mut challenge,
            _ => continue,
        };
        // First occurrence wins, as for headers.
        slot.get_or_insert(v.into_owned());
    }
    if mode.as_deref() != Some("subscribe") {
        return Err(Rejection::BadParam("hub.mode"));
    }
    let token = token.ok_or(Rejection::BadParam("hub.verify_token"))?;
    if !ct_eq_str(&token, verify_token) {
        return Err(Rejection::BadToken);
    }
    let challenge = challenge
        .filter(|c| !c.is_empty())
        .ok_or(Rejection::BadParam("hub.challenge"))?;
    Ok(Verdict::Handshake {
        status: 200,
        content_type: "text/plain; charset=utf-8",
        body: challenge.into_bytes(),
    })
}
