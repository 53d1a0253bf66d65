//! Shared set-up of the inbound tests: a source with one destination endpoint (a real
//! receiver on 127.0.0.1), provider-side signing, and the checks of a forward.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use crate::delivery_common::{verifies, WAIT};
use crate::helpers::{spawn_app, Received, Receiver, Reply, TestApp};

/// A server with one source and one destination.
pub struct Inbound {
    pub app: TestApp,
    /// The source id (also its application's uid).
    pub src_id: String,
    /// Where the provider posts.
    pub url: String,
    /// The destination.
    pub receiver: Receiver,
    /// The destination endpoint's signing secret.
    pub secret: String,
}

/// A source of type `ty` with `config`, and a destination answering 200.
pub async fn setup(ty: &str, config: Value) -> Inbound {
    setup_on(spawn_app().await, ty, config, Receiver::ok().await).await
}

/// Like [`setup`] on a given server and receiver.
pub async fn setup_on(app: TestApp, ty: &str, config: Value, receiver: Receiver) -> Inbound {
    let src = app
        .post_ok(
            "/ingest/api/v1/source",
            &json!({"name": ty, "type": ty, "config": config}),
            201,
        )
        .await;
    let src_id = src["id"].as_str().unwrap().to_string();
    let url = src["ingestUrl"].as_str().unwrap().to_string();
    let eps = format!("/ingest/api/v1/source/{src_id}/endpoint");
    let ep = app.post_ok(&eps, &json!({"url": receiver.url}), 201).await;
    let ep_id = ep["id"].as_str().unwrap();
    let secret = app.get_ok(&format!("{eps}/{ep_id}/secret")).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    Inbound {
        app,
        src_id,
        url,
        receiver,
        secret,
    }
}

/// A receiver that never answers.
pub async fn hanging_receiver() -> Receiver {
    Receiver::scripted(vec![], Reply::Hang).await
}

impl Inbound {
    /// POSTs `body` with `headers` to the ingest URL; returns status and body text.
    pub async fn post(&self, headers: &[(String, String)], body: &[u8]) -> (u16, String) {
        post_to(&self.app, &self.url, headers, body).await
    }

    /// The source's stored messages (newest first).
    pub async fn messages(&self) -> Vec<Value> {
        let v = self
            .app
            .get_ok(&format!("/api/v1/app/{}/msg", self.src_id))
            .await;
        v["data"].as_array().unwrap().clone()
    }

    /// The next forward: asserts the exact body, content type, every expected provider
    /// header, and a valid Sluice signature.
    pub async fn expect_forward(
        &self,
        body: &[u8],
        content_type: &str,
        provider_headers: &[(String, String)],
    ) -> Received {
        let got = self.receiver.next(WAIT).await;
        assert_eq!(&got.body[..], body, "body forwarded byte for byte");
        assert_eq!(got.header("content-type"), content_type);
        for (name, value) in provider_headers {
            let name = name.to_ascii_lowercase();
            if is_signature_family(&name) {
                // The provider's signature travels under another name; the forward carries
                // one signature set only, Sluice's.
                assert_eq!(
                    &got.header(&format!("x-sluice-original-{name}")),
                    value,
                    "provider header {name} kept under x-sluice-original-"
                );
                continue;
            }
            // Sluice's own headers win; the source's credentials are never forwarded.
            let own = ["content-type", "user-agent", "authorization"].contains(&name.as_str());
            if !own {
                assert_eq!(&got.header(&name), value, "provider header {name} kept");
            }
        }
        assert!(verifies(&self.secret, &got), "Sluice signature verifies");
        assert!(
            svix_sdk_verifies(&self.secret, &got),
            "verifies as the Svix SDKs' Webhook class reads it (svix-* first)"
        );
        got
    }
}

/// The names of both signature header families.
pub fn is_signature_family(name: &str) -> bool {
    ["svix-", "webhook-"].iter().any(|f| {
        name.strip_prefix(f)
            .is_some_and(|rest| ["id", "timestamp", "signature"].contains(&rest))
    })
}

/// Verifies as the Svix SDKs' `Webhook(secret).verify` does: each of id, timestamp and
/// signature is taken from `svix-*` if present, else from `webhook-*`.
pub fn svix_sdk_verifies(secret: &str, got: &Received) -> bool {
    let mut headers = axum::http::HeaderMap::new();
    for part in ["id", "timestamp", "signature"] {
        let value = got
            .headers
            .get(format!("svix-{part}"))
            .or_else(|| got.headers.get(format!("webhook-{part}")));
        if let Some(v) = value {
            headers.insert(
                axum::http::HeaderName::try_from(format!("webhook-{part}")).unwrap(),
                v.clone(),
            );
        }
    }
    standardwebhooks::Webhook::new(secret)
        .expect("valid secret")
        .verify(&got.body, &headers)
        .is_ok()
}

/// POSTs raw bytes with headers.
pub async fn post_to(
    app: &TestApp,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, String) {
    let mut req = app.client.post(url).body(body.to_vec());
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let resp = req.send().await.expect("ingest reachable");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// The current Unix time in seconds.
pub fn now_secs() -> i64 {
    sluice_core::now_millis() / 1000
}

/// HMAC-SHA256 over the concatenated parts.
pub fn hmac256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// HMAC-SHA1 over the concatenated parts (Twilio).
pub fn hmac1(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// Standard base64.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// `(name, value)` pairs from string literals.
pub fn pairs(list: &[(&str, String)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// The `{code}` of an error answer.
pub fn code_of(text: &str) -> String {
    let v: Value = serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    v["code"].as_str().unwrap_or_default().to_string()
}
