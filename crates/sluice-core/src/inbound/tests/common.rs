//! The shared checks: constant-time MAC and token comparison, timestamp windows,
//! rejection codes, and the rule that no signed scheme lets an unsigned request through.

use super::named;
use super::{mac, post, secrets};
use crate::inbound::common::{
    check_window, ct_eq_str, find_secret, parse_unix, HmacSha1, HmacSha256,
};
use crate::inbound::{GenericAuth, Rejection, SourceConfig, Verdict};

#[test]
fn find_secret_needs_the_full_tag() {
    let keys = secrets(&["k"]);
    let tag = mac("k", &[b"m"]);
    assert_eq!(
        find_secret::<HmacSha256>(&keys, &[b"m"], std::slice::from_ref(&tag)),
        Some("k")
    );
    // Split parts are the concatenation.
    let parts: [&[u8]; 2] = [b"", b"m"];
    assert_eq!(
        find_secret::<HmacSha256>(&keys, &parts, std::slice::from_ref(&tag)),
        Some("k")
    );
    // `verify_slice` refuses truncated, extended and empty tags (no prefix comparison).
    let mut longer = tag.clone();
    longer.push(0);
    for bad in [tag[..31].to_vec(), tag[..1].to_vec(), vec![], longer] {
        assert_eq!(find_secret::<HmacSha256>(&keys, &[b"m"], &[bad]), None);
    }
    // A SHA-256 tag does not verify as SHA-1.
    assert_eq!(find_secret::<HmacSha1>(&keys, &[b"m"], &[tag]), None);
}

#[test]
fn an_empty_secret_never_verifies() {
    // The HMAC under an empty key is computable by anyone.
    let tag = mac("", &[b"m"]);
    assert_eq!(
        find_secret::<HmacSha256>(&secrets(&[""]), &[b"m"], std::slice::from_ref(&tag)),
        None
    );
    let h = [(
        "X-Hub-Signature-256",
        format!("sha256={}", hex::encode(&tag)),
    )];
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let cfg = SourceConfig::new(named("github"), secrets(&[""]));
    assert_eq!(
        post(&cfg, &h, b"m", 0),
        Err(Rejection::Misconfigured("no secret configured"))
    );
}

#[test]
fn token_comparison() {
    assert!(ct_eq_str("abc", "abc"));
    assert!(!ct_eq_str("abc", "abd"));
    assert!(!ct_eq_str("ab", "abc"));
    assert!(!ct_eq_str("", "abc"));
}

#[test]
fn windows_and_timestamps() {
    assert_eq!(check_window(100, 400, 300, None), Ok(()));
    assert_eq!(
        check_window(100, 401, 300, None),
        Err(Rejection::StaleTimestamp)
    );
    assert_eq!(check_window(10_000, 0, 300, None), Ok(()));
    assert_eq!(check_window(300, 0, 300, Some(300)), Ok(()));
    assert_eq!(
        check_window(301, 0, 300, Some(300)),
        Err(Rejection::FutureTimestamp)
    );
    // Hostile extremes saturate instead of overflowing.
    assert_eq!(
        check_window(i64::MAX, i64::MIN, 300, Some(300)),
        Err(Rejection::FutureTimestamp)
    );
    assert_eq!(
        check_window(i64::MIN, i64::MAX, 300, Some(300)),
        Err(Rejection::StaleTimestamp)
    );
    assert_eq!(parse_unix("1700000000", "h"), Ok(1700000000));
    for bad in ["", " 1", "1e9", "-1", "+1", "9999999999999999999"] {
        assert_eq!(
            parse_unix(bad, "h"),
            Err(Rejection::MalformedHeader("h")),
            "{bad:?}"
        );
    }
}

#[test]
fn codes_are_stable_and_listed() {
    let all = [
        Rejection::MissingHeader("h"),
        Rejection::MalformedHeader("h"),
        Rejection::BadParam("p"),
        Rejection::MalformedBody("b"),
        Rejection::StaleTimestamp,
        Rejection::FutureTimestamp,
        Rejection::BadSignature,
        Rejection::BadBodyHash,
        Rejection::MissingCredentials,
        Rejection::BadToken,
        Rejection::MethodNotAllowed,
        Rejection::Misconfigured("m"),
    ];
    let codes: Vec<&str> = all.iter().map(Rejection::code).collect();
    assert_eq!(codes, Rejection::CODES);
    assert_eq!(
        Rejection::MissingHeader("stripe-signature").to_string(),
        "missing header stripe-signature"
    );
}

/// Every signed scheme refuses a POST that carries ids and a plausible body but no
/// signature, with a `MissingHeader`; none yields a verdict (and so no event id).
#[test]
fn no_signed_scheme_accepts_an_unsigned_request() {
    let s = || secrets(&["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]);
    let configs = [
        SourceConfig::new(named("standard-webhooks"), s()),
        SourceConfig::new(named("stripe"), s()),
        SourceConfig::new(named("github"), s()),
        SourceConfig::new(named("shopify"), s()),
        SourceConfig::new(named("slack"), s()),
        SourceConfig::new(named("zoom"), s()),
        SourceConfig {
            verify_token: "t".into(),
            ..SourceConfig::new(named("meta"), s())
        },
        SourceConfig::new(named("paddle"), s()),
        SourceConfig::new(named("linear"), s()),
        SourceConfig::new(named("twilio"), s()),
        SourceConfig {
            auth: vec![GenericAuth::Bearer { token: "t".into() }],
            id_header: Some("x-github-delivery".into()),
            ..SourceConfig::new(named("generic-webhook"), vec![])
        },
    ];
    let h = [
        ("webhook-id", "msg_1"),
        ("webhook-timestamp", "1700000000"),
        ("X-GitHub-Delivery", "d1"),
        ("Linear-Delivery", "d2"),
        ("X-Shopify-Webhook-Id", "d3"),
        ("X-Slack-Request-Timestamp", "1700000000"),
        ("x-zm-request-timestamp", "1700000000"),
        ("Content-Type", "application/json"),
    ];
    let body = br#"{"id":"evt_1","event_id":"evt_1","type":"url_verification","challenge":"c","webhookTimestamp":1700000000000}"#;
    for cfg in &configs {
        let r = post(cfg, &h, body, 1700000000);
        assert!(
            matches!(
                r,
                Err(Rejection::MissingHeader(_) | Rejection::MissingCredentials)
            ),
            "{}: {r:?}",
            cfg.kind()
        );
        assert!(!matches!(r, Ok(Verdict::Verified { .. })));
    }
}
