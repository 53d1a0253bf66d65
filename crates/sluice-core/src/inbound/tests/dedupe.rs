//! The content key of events without a provider id: the body alone for signed schemes
//! (so a retry re-signed at another time is the same event), method, query and body for
//! Twilio and `generic-webhook`.

use super::named;
use super::{secrets, URL};
use crate::inbound::common::body_digest;
use crate::inbound::{content_key, Request, SourceConfig};

fn key(
    config: &SourceConfig,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> String {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    content_key(
        config,
        &Request {
            method,
            url,
            headers: &headers,
            body,
            now: 0,
        },
    )
}

#[test]
fn signed_schemes_key_on_the_body_alone() {
    let stripe = SourceConfig::new(named("stripe"), secrets(&["whsec_x"]));
    let body = br#"{"object":"event","type":"invoice.paid"}"#;
    // Stripe signs every retry afresh: another `t=`, another signature, the same body.
    let first = key(
        &stripe,
        "POST",
        URL,
        &[("stripe-signature", "t=1,v1=aa")],
        body,
    );
    let retry = key(
        &stripe,
        "POST",
        URL,
        &[("stripe-signature", "t=99,v1=bb")],
        body,
    );
    assert_eq!(first, retry);
    assert_eq!(first, body_digest(body));
    assert_ne!(
        first,
        key(&stripe, "POST", URL, &[], br#"{"object":"event"}"#)
    );
    // The query is not signed, so it cannot make a replay new.
    assert_eq!(
        first,
        key(&stripe, "POST", &format!("{URL}?x=1"), &[], body)
    );
    let github = SourceConfig::new(named("github"), secrets(&["s"]));
    assert_eq!(key(&github, "POST", URL, &[], body), body_digest(body));
}

#[test]
fn twilio_and_generic_key_on_the_whole_request() {
    let twilio = SourceConfig::new(named("twilio"), secrets(&["t"]));
    // GET webhooks: empty body, everything in the query.
    let a = key(
        &twilio,
        "GET",
        &format!("{URL}?CallSid=CA1&From=%2B1"),
        &[],
        b"",
    );
    let b = key(
        &twilio,
        "GET",
        &format!("{URL}?CallSid=CA2&From=%2B1"),
        &[],
        b"",
    );
    assert_ne!(a, b);
    assert_eq!(
        a,
        key(
            &twilio,
            "GET",
            &format!("{URL}?CallSid=CA1&From=%2B1"),
            &[],
            b""
        )
    );
    assert!(a.starts_with("sha256:req:"), "{a}");
    // Another token path (after a rotation) is the same request.
    let rotated = "https://sluice.example.com/ingest/other?CallSid=CA1&From=%2B1";
    assert_eq!(a, key(&twilio, "GET", rotated, &[], b""));

    let generic = SourceConfig::new(named("generic-webhook"), vec![]);
    let post = key(&generic, "POST", URL, &[], b"{}");
    assert_ne!(post, key(&generic, "PUT", URL, &[], b"{}"));
    assert_ne!(
        post,
        key(&generic, "POST", &format!("{URL}?n=2"), &[], b"{}")
    );
    assert_eq!(post, key(&generic, "post", URL, &[("x-any", "1")], b"{}"));
    // Length prefixes: moving bytes between query and body changes the key.
    assert_ne!(
        key(&generic, "POST", &format!("{URL}?ab"), &[], b"c"),
        key(&generic, "POST", &format!("{URL}?a"), &[], b"bc")
    );
}
