//! `generic-webhook`: open sources, credentials, and the configured dedupe id.

use super::named;
use super::{call, ok, post, URL};
use crate::inbound::{GenericAuth, Rejection, SourceConfig};

fn open(id_header: Option<&str>, pointer: Option<&str>) -> SourceConfig {
    SourceConfig {
        id_header: id_header.map(str::to_owned),
        id_json_pointer: pointer.map(str::to_owned),
        ..SourceConfig::new(named("generic-webhook"), vec![])
    }
}

fn with_auth(auth: Vec<GenericAuth>) -> SourceConfig {
    SourceConfig {
        auth,
        ..SourceConfig::new(named("generic-webhook"), vec![])
    }
}

#[test]
fn open_source_and_dedupe_id() {
    let body = br#"{"meta":{"id":"ord_1","seq":42}}"#;
    assert_eq!(post(&open(None, None), &[], body, 0), ok(None, None));
    let h = [("X-Request-Id", "req_9")];
    assert_eq!(
        post(&open(Some("x-request-id"), None), &h, body, 0),
        ok(Some("req_9"), None)
    );
    assert_eq!(
        post(&open(None, Some("/meta/id")), &[], body, 0),
        ok(Some("ord_1"), None)
    );
    assert_eq!(
        post(&open(None, Some("/meta/seq")), &[], body, 0),
        ok(Some("42"), None)
    );
    // Header first, then pointer; a missing one yields no id rather than a rejection.
    assert_eq!(
        post(&open(Some("x-request-id"), Some("/meta/id")), &[], body, 0),
        ok(Some("ord_1"), None)
    );
    assert_eq!(
        post(&open(None, Some("/nope")), &[], b"not json", 0),
        ok(None, None)
    );
    assert_eq!(
        call(&open(None, None), "PUT", URL, &[], body, 0),
        ok(None, None)
    );
    assert_eq!(
        call(&open(None, None), "GET", URL, &[], body, 0),
        Err(Rejection::MethodNotAllowed)
    );
}

#[test]
fn bearer_and_rotation() {
    let cfg = with_auth(vec![
        GenericAuth::Bearer {
            token: "new-token".into(),
        },
        GenericAuth::Bearer {
            token: "old-token".into(),
        },
    ]);
    assert_eq!(
        post(&cfg, &[("Authorization", "Bearer new-token")], b"{}", 0),
        ok(None, None)
    );
    assert_eq!(
        post(&cfg, &[("authorization", "bearer old-token")], b"{}", 0),
        ok(None, None)
    );
    assert_eq!(
        post(&cfg, &[("Authorization", "Bearer new-token2")], b"{}", 0),
        Err(Rejection::BadToken)
    );
    assert_eq!(
        post(&cfg, &[("Authorization", "Basic bmV3LXRva2Vu")], b"{}", 0),
        Err(Rejection::MissingCredentials)
    );
    assert_eq!(
        post(&cfg, &[], b"{}", 0),
        Err(Rejection::MissingCredentials)
    );
}

#[test]
fn basic_and_header_credentials() {
    let cfg = with_auth(vec![
        GenericAuth::Basic {
            username: "user".into(),
            password: "pa:ss".into(),
        },
        GenericAuth::Header {
            name: "X-Api-Key".into(),
            value: "k3y".into(),
        },
    ]);
    // base64("user:pa:ss")
    assert_eq!(
        post(&cfg, &[("Authorization", "Basic dXNlcjpwYTpzcw==")], b"", 0),
        ok(None, None)
    );
    assert_eq!(post(&cfg, &[("x-api-key", "k3y")], b"", 0), ok(None, None));
    // base64("user:pass")
    assert_eq!(
        post(&cfg, &[("Authorization", "Basic dXNlcjpwYXNz")], b"", 0),
        Err(Rejection::BadToken)
    );
    assert_eq!(
        post(&cfg, &[("Authorization", "Basic !!!")], b"", 0),
        Err(Rejection::BadToken)
    );
    assert_eq!(
        post(&cfg, &[("X-Api-Key", "k3")], b"", 0),
        Err(Rejection::BadToken)
    );
    assert_eq!(
        post(&cfg, &[("X-Other", "k3y")], b"", 0),
        Err(Rejection::MissingCredentials)
    );
}

/// A Bearer-protected source, for the registry test (an open source has nothing to forge).
pub(super) fn vector() -> super::Vector {
    super::Vector {
        config: with_auth(vec![GenericAuth::Bearer {
            token: "new-token".into(),
        }]),
        method: "POST",
        url: URL.into(),
        headers: vec![("Authorization", "Bearer new-token".into())],
        body: b"{}",
        now: 0,
        expect: ok(None, None),
    }
}
