//! One try: build the signed request, send it through the guarded client, read a bounded
//! response. Never logs secrets, signatures or bodies.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST,
    TRANSFER_ENCODING, USER_AGENT,
};
use sluice_core::model::{Endpoint, InboundMeta};
use sluice_core::queue::{Claimed, Tried};
use sluice_core::retry::{classify_response, honours_retry_after, parse_retry_after, OutcomeClass};
use sluice_core::secretbox::SecretBox;
use sluice_core::signing::{signature_header, SigningKey};
use sluice_core::Millis;

use super::client::{self, UrlRefusal};
use super::guard::{AddressPolicy, BLOCKED_TEXT};
use crate::config::SignatureHeaders;

/// Names of the three signature headers.
#[derive(Debug, Clone)]
pub struct HeaderNames {
    id: HeaderName,
    timestamp: HeaderName,
    signature: HeaderName,
}

impl HeaderNames {
    /// The names for a configured header style.
    pub fn new(style: SignatureHeaders) -> Self {
        let (id, timestamp, signature) = match style {
            SignatureHeaders::Webhook => ("webhook-id", "webhook-timestamp", "webhook-signature"),
            SignatureHeaders::Svix => ("svix-id", "svix-timestamp", "svix-signature"),
        };
        Self {
            id: HeaderName::from_static(id),
            timestamp: HeaderName::from_static(timestamp),
            signature: HeaderName::from_static(signature),
        }
    }
}

/// The keys a delivery is signed with at `now`: the current secret and every retired one
/// still inside its grace period. Fails only if the current secret cannot be opened.
pub fn signing_keys(
    endpoint: &Endpoint,
    secrets: &SecretBox,
    now: Millis,
) -> Result<Vec<SigningKey>, String> {
    let open = |sealed: &[u8]| -> Result<SigningKey, &'static str> {
        let plain = secrets
            .open(sealed)
            .map_err(|_| "could not be opened (wrong encryption_key?)")?;
        SigningKey::parse(&plain).map_err(|_| "is not a valid signing secret")
    };
    let mut keys =
        vec![open(&endpoint.secret).map_err(|why| format!("the endpoint's signing secret {why}"))?];
    for retired in endpoint
        .retired_secrets
        .iter()
        .filter(|r| r.expires_at > now)
    {
        match open(&retired.sealed) {
            Ok(k) => keys.push(k),
            Err(why) => {
                tracing::warn!(endpoint.id = %endpoint.id, "a retired signing secret {why}; skipped")
            }
        }
    }
    Ok(keys)
}

/// The headers of one try: for an inbound message the provider's preserved headers (its
/// signature headers renamed, see [`super::forwarded`]), then (overriding any of the same name) the endpoint's custom headers, then content type
/// (an inbound message's own, else JSON), user agent, and id, timestamp and signature over
/// exactly `body`.
#[allow(clippy::too_many_arguments)] // one try's inputs; a struct would only rename them
pub fn request_headers(
    names: &HeaderNames,
    endpoint: &Endpoint,
    custom: &BTreeMap<String, String>,
    keys: &[SigningKey],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
    inbound: Option<&InboundMeta>,
) -> HeaderMap {
    let provider = inbound.map_or(&[][..], |m| m.headers.as_slice());
    let mut headers = HeaderMap::with_capacity(provider.len() + custom.len() + 5);
    for (name, value) in provider {
        // The provider's own signature headers go under other names (see `forwarded`), so
        // the forward carries one signature set: Sluice's, for this endpoint.
        let Some(name) = super::forwarded::forwarded_name(name) else {
            continue;
        };
        // Stored headers were filtered on receipt; the reserved check guards old rows.
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_ref()),
            HeaderValue::try_from(value.as_str()),
        ) {
            if !RESERVED.contains(&n) {
                headers.append(n, v);
            }
        }
    }
    for (name, value) in custom {
        match (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            (Ok(n), Ok(v)) if !RESERVED.contains(&n) => {
                headers.insert(n, v);
            }
            _ => {
                tracing::warn!(endpoint.id = %endpoint.id, header = %name, "invalid or reserved custom header skipped")
            }
        }
    }
    let signature = signature_header(keys, msg_id, timestamp, body);
    let value = |s: &str| {
        HeaderValue::try_from(s).expect("ids, decimals and base64 are valid header values")
    };
    let content_type = inbound
        .and_then(|m| HeaderValue::try_from(m.content_type.as_str()).ok())
        .unwrap_or(HeaderValue::from_static("application/json"));
    headers.insert(CONTENT_TYPE, content_type);
    headers.insert(USER_AGENT, HeaderValue::from_static(client::USER_AGENT));
    headers.insert(names.id.clone(), value(msg_id));
    headers.insert(names.timestamp.clone(), value(&timestamp.to_string()));
    let mut sig = value(&signature);
    sig.set_sensitive(true);
    headers.insert(names.signature.clone(), sig);
    headers
}

/// Headers that describe the connection or the body framing; a custom header must not
/// change them.
const RESERVED: [HeaderName; 4] = [HOST, CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION];

/// Everything a try needs besides the claim.
pub struct Sender {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    secrets: SecretBox,
    names: HeaderNames,
    max_response_bytes: usize,
    timeout: Duration,
}

impl Sender {
    /// A sender over a guarded client.
    pub fn new(
        client: reqwest::Client,
        policy: Arc<AddressPolicy>,
        secrets: SecretBox,
        style: SignatureHeaders,
        max_response_bytes: usize,
        timeout: Duration,
    ) -> Self {
        Self {
            client,
            policy,
            secrets,
            names: HeaderNames::new(style),
            max_response_bytes,
            timeout,
        }
    }

    /// Makes one try of `claimed` at `now`. Takes the payload out of the claim (it is sent
    /// as is, without a copy).
    pub async fn send(&self, claimed: &mut Claimed, now: Millis) -> Tried {
        let failed = Tried::without_response;
        let endpoint = &claimed.endpoint;
        let keys = match signing_keys(endpoint, &self.secrets, now) {
            Ok(keys) => keys,
            Err(why) => {
                tracing::error!(endpoint.id = %endpoint.id, "cannot sign: {why}");
                return failed(OutcomeClass::Transient, why);
            }
        };
        let Ok(custom) = self.secrets.open_headers(&endpoint.headers) else {
            tracing::error!(endpoint.id = %endpoint.id, "cannot unseal the endpoint's custom headers");
            return failed(
                OutcomeClass::Transient,
                "custom headers could not be unsealed (encryption_key changed?)".to_owned(),
            );
        };
        let url = match client::check_url(&endpoint.url, &self.policy) {
            Ok(url) => url,
            Err(UrlRefusal::Blocked) => {
                return failed(OutcomeClass::Blocked, BLOCKED_TEXT.to_owned())
            }
            Err(UrlRefusal::Invalid(why)) => return failed(OutcomeClass::Other, why),
        };
        let body = Bytes::from(std::mem::take(&mut claimed.message.payload));
        let timestamp = now.div_euclid(1000);
        let headers = request_headers(
            &self.names,
            endpoint,
            &custom,
            &keys,
            &claimed.message.id,
            timestamp,
            &body,
            claimed.message.inbound.as_ref(),
        );

        let started = Instant::now();
        let sent = self
            .client
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await;
        let mut response = match sent {
            Ok(r) => r,
            Err(e) if client::is_blocked(&e) => {
                return failed(OutcomeClass::Blocked, BLOCKED_TEXT.to_owned())
            }
            Err(e) if is_tls(&e) => {
                let mut t = failed(
                    OutcomeClass::Tls,
                    format!(
                        "TLS handshake failed: {}; not retried (fix the receiver's certificate or URL, then recover)",
                        root_cause(&e)
                    ),
                );
                t.duration_ms = elapsed_ms(started);
                return t;
            }
            Err(e) => {
                let mut t = failed(OutcomeClass::Transient, self.describe(&e));
                t.duration_ms = elapsed_ms(started);
                return t;
            }
        };
        let status = response.status().as_u16();
        let retry_after_ms = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .filter(|_| honours_retry_after(status))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, now));
        let text = self.read_bounded(&mut response).await;
        Tried {
            status: Some(status),
            class: classify_response(Some(status), retry_after_ms.is_some()),
            response: text,
            duration_ms: elapsed_ms(started),
            retry_after_ms,
        }
    }

    /// At most `max_response_bytes` of the body, as lossy UTF-8. Stops reading (and drops
    /// the connection) once the limit is reached, so a huge body costs nothing.
    ///
    /// If the body breaks off before its end (the connection reset or closed early, or the
    /// timeout struck), the bytes that arrived are kept and a note saying so is appended:
    /// the status decides the outcome (a 2xx is delivered: the receiver accepted the
    /// request), and the attempt shows that its response was cut off and why. The note
    /// adds at most [`CUT_NOTE_MAX`] characters to the bound.
    async fn read_bounded(&self, response: &mut reqwest::Response) -> String {
        let declared = response.content_length();
        let mut buf = Vec::new();
        let mut cut = None;
        while buf.len() < self.max_response_bytes {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = self.max_response_bytes - buf.len();
                    buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) => break,
                Err(e) => {
                    cut = Some(e);
                    break;
                }
            }
        }
        let mut text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(e) = cut {
            let of = declared.map(|n| format!(" of {n}")).unwrap_or_default();
            let why = if e.is_timeout() {
                format!("timed out after {} s", self.timeout.as_secs())
            } else {
                root_cause(&e).to_string()
            };
            let note = format!(
                "[response body cut off after {}{of} bytes: {why}]",
                buf.len()
            );
            if !text.is_empty() {
                text.push('\n');
            }
            text.extend(note.chars().take(CUT_NOTE_MAX));
        }
        text
    }

    /// A short description of a failed request, without the URL (it may carry credentials
    /// and is stored separately).
    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            return format!("request timed out after {} s", self.timeout.as_secs());
        }
        let kind = if e.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        format!("{kind}: {}", root_cause(e))
    }
}

/// Whether a request failed in the TLS handshake (certificate, host name, protocol): an
/// error of the TLS library (rustls) in the source chain, or a description that names one.
fn is_tls(e: &reqwest::Error) -> bool {
    if !e.is_connect() {
        return false;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<rustls::Error>() {
            return true;
        }
        let text = err.to_string().to_ascii_lowercase();
        if [
            "certificate",
            "tls",
            "ssl",
            "handshake",
            "invalidcontenttype",
            "corrupt message",
        ]
        .iter()
        .any(|w| text.contains(w))
        {
            return true;
        }
        source = err.source();
    }
    false
}

/// The innermost error of a chain (the OS or protocol error that says what happened).
fn root_cause(e: &reqwest::Error) -> &dyn std::error::Error {
    let mut root: &dyn std::error::Error = e;
    while let Some(next) = root.source() {
        root = next;
    }
    root
}

/// Longest note appended to a response body that was cut off.
const CUT_NOTE_MAX: usize = 200;

fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::model::RetiredSecret;
    use sluice_core::signing::{verify, VerifyingKey};

    const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const OLDER: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

    fn endpoint(b: &SecretBox, current: &str, retired: &[(&str, Millis)]) -> Endpoint {
        Endpoint {
            id: "ep_1".into(),
            app_id: "app_1".into(),
            uid: None,
            url: "https://example.com/hook".into(),
            description: String::new(),
            version: 1,
            disabled: false,
            event_types: None,
            channels: None,
            throttle_rate: None,
            metadata: Default::default(),
            headers: b.seal_headers(
                &[
                    ("x-custom", "yes"),
                    ("webhook-id", "forged"),
                    ("content-length", "1"),
                    ("user-agent", "x"),
                ]
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .into_iter()
                .collect(),
            ),
            secret: b.seal(current),
            retired_secrets: retired
                .iter()
                .map(|(s, exp)| RetiredSecret {
                    sealed: b.seal(s),
                    expires_at: *exp,
                })
                .collect(),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn verifies(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
        let h = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_owned();
        let key = [VerifyingKey::parse(secret).unwrap()];
        let ts: i64 = h("webhook-timestamp").parse().unwrap();
        verify(
            &key,
            &h("webhook-id"),
            &h("webhook-timestamp"),
            &h("webhook-signature"),
            body,
            ts,
            0,
        )
        .is_ok()
    }

    #[test]
    fn one_signature_per_valid_secret_and_none_for_expired() {
        let b = SecretBox::new(&SecretBox::generate_key());
        let current = sluice_core::signing::generate_secret();
        let now = 10_000_000;
        let ep = endpoint(&b, &current, &[(OLD, now + 1), (OLDER, now)]);
        let keys = signing_keys(&ep, &b, now).unwrap();
        assert_eq!(keys.len(), 2, "current + the unexpired retired secret");
        let body = br#"{"a": 1}"#;
        let headers = request_headers(
            &HeaderNames::new(SignatureHeaders::Webhook),
            &ep,
            &b.open_headers(&ep.headers).unwrap(),
            &keys,
            "msg_1",
            now / 1000,
            body,
            None,
        );
        let sig = headers["webhook-signature"].to_str().unwrap();
        assert_eq!(sig.split(' ').count(), 2);
        assert!(sig.split(' ').all(|t| t.starts_with("v1,")));
        assert!(verifies(&current, &headers, body));
        assert!(verifies(OLD, &headers, body));
        assert!(
            !verifies(OLDER, &headers, body),
            "expired secret must not sign"
        );
        assert!(
            !verifies(&current, &headers, b"{\"a\":1}"),
            "signature covers the exact bytes"
        );
        assert_eq!(
            headers["webhook-id"], "msg_1",
            "custom headers cannot override signature headers"
        );
        assert_eq!(
            headers["webhook-timestamp"],
            (now / 1000).to_string().as_str()
        );
        assert_eq!(headers["x-custom"], "yes");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["user-agent"], client::USER_AGENT);
        assert!(!headers.contains_key("content-length"));
    }

    #[test]
    fn svix_header_names() {
        let b = SecretBox::new(&SecretBox::generate_key());
        let ep = endpoint(&b, OLD, &[]);
        let keys = signing_keys(&ep, &b, 0).unwrap();
        let headers = request_headers(
            &HeaderNames::new(SignatureHeaders::Svix),
            &ep,
            &b.open_headers(&ep.headers).unwrap(),
            &keys,
            "msg_1",
            5,
            b"{}",
            None,
        );
        for n in ["svix-id", "svix-timestamp", "svix-signature"] {
            assert!(headers.contains_key(n), "{n}");
        }
        assert!(!headers.contains_key("webhook-signature"));
    }

    #[test]
    fn inbound_messages_keep_provider_headers_and_content_type() {
        let b = SecretBox::new(&SecretBox::generate_key());
        let ep = endpoint(&b, OLD, &[]);
        let keys = signing_keys(&ep, &b, 0).unwrap();
        let meta = InboundMeta {
            content_type: "application/x-www-form-urlencoded".into(),
            headers: [
                ("stripe-signature", "t=1,v1=ab"),
                ("x-custom", "from-provider"),
                ("webhook-id", "provider-id"),
                ("svix-id", "provider-id"),
                ("svix-signature", "v1,provider"),
                ("x-sluice-original-svix-id", "forged"),
                ("user-agent", "Stripe/1.0"),
                ("x-multi", "1"),
                ("x-multi", "2"),
                ("host", "old"),
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .to_vec(),
        };
        let body = b"a=1&b=2";
        let headers = request_headers(
            &HeaderNames::new(SignatureHeaders::Webhook),
            &ep,
            &b.open_headers(&ep.headers).unwrap(),
            &keys,
            "msg_1",
            7,
            body,
            Some(&meta),
        );
        assert_eq!(headers["stripe-signature"], "t=1,v1=ab");
        assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
        assert_eq!(
            headers["x-custom"], "yes",
            "endpoint headers win over provider ones"
        );
        assert_eq!(headers["webhook-id"], "msg_1", "Sluice's own headers win");
        assert_eq!(headers["x-sluice-original-webhook-id"], "provider-id");
        assert_eq!(headers["x-sluice-original-svix-signature"], "v1,provider");
        assert!(
            !headers.contains_key("svix-signature") && !headers.contains_key("svix-id"),
            "one signature set only: the provider's svix-* headers are renamed"
        );
        assert!(!headers.contains_key("x-sluice-original-host"));
        let originals: Vec<_> = headers
            .get_all("x-sluice-original-svix-id")
            .iter()
            .collect();
        assert_eq!(
            originals,
            ["provider-id"],
            "a forged original from the provider is dropped, the real one renamed"
        );
        assert_eq!(headers["user-agent"], client::USER_AGENT);
        let multi: Vec<_> = headers.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["1", "2"]);
        assert!(!headers.contains_key("host"));
        assert!(verifies(OLD, &headers, body));
    }

    #[test]
    fn unopenable_current_secret_is_an_error() {
        let b = SecretBox::new(&SecretBox::generate_key());
        let other = SecretBox::new(&SecretBox::generate_key());
        let ep = endpoint(&other, OLD, &[]);
        let err = signing_keys(&ep, &b, 0).unwrap_err();
        assert!(
            !err.contains("whsec_"),
            "error text must not contain secrets"
        );
    }
}
