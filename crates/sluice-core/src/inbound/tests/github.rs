//! GitHub: GH-1 (docs) and GH-2 (octokit) (signatures.md §4).

use super::named;
use super::{mac_hex, ok, post, secrets};
use crate::inbound::{Rejection, SourceConfig};

const GH1_SECRET: &str = "It's a Secret to Everybody";
const GH1_BODY: &[u8] = b"Hello, World!";
const GH1_SIG: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
const DELIVERY: &str = "72d3162e-cc78-11e3-81ab-4c9367dc0958";

fn config(list: &[&str]) -> SourceConfig {
    SourceConfig::new(named("github"), secrets(list))
}

fn run(cfg: &SourceConfig, sig: &str, body: &[u8]) -> super::Result {
    let h = [
        ("X-Hub-Signature-256", sig),
        ("X-GitHub-Event", "push"),
        ("X-GitHub-Delivery", DELIVERY),
    ];
    post(cfg, &h, body, 0)
}

#[test]
fn gh1_docs_vector() {
    assert_eq!(
        run(&config(&[GH1_SECRET]), GH1_SIG, GH1_BODY),
        ok(Some(DELIVERY), Some("push"))
    );
}

#[test]
fn gh2_octokit_vector() {
    let sig = "sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3";
    assert_eq!(
        run(&config(&["mysecret"]), sig, br#"{"foo":"bar"}"#),
        ok(Some(DELIVERY), Some("push"))
    );
}

#[test]
fn negatives() {
    let cfg = config(&[GH1_SECRET]);
    assert_eq!(
        run(&cfg, GH1_SIG, b"Hello, World?"),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        run(&config(&["mysecret"]), GH1_SIG, GH1_BODY),
        Err(Rejection::BadSignature)
    );
    let forged = format!("sha256={}", mac_hex("guess", &[GH1_BODY]));
    assert_eq!(run(&cfg, &forged, GH1_BODY), Err(Rejection::BadSignature));
    // A truncated tag decodes but is shorter than the MAC: never a match.
    assert_eq!(
        run(&cfg, &GH1_SIG[..GH1_SIG.len() - 2], GH1_BODY),
        Err(Rejection::BadSignature)
    );
    for malformed in [
        &GH1_SIG[7..],
        "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59",
        "SHA256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "sha256=xyz",
    ] {
        assert_eq!(
            run(&cfg, malformed, GH1_BODY),
            Err(Rejection::MalformedHeader("x-hub-signature-256")),
            "{malformed}"
        );
    }
}

#[test]
fn legacy_sha1_alone_is_not_enough() {
    let h = [(
        "X-Hub-Signature",
        "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59",
    )];
    assert_eq!(
        post(&config(&[GH1_SECRET]), &h, GH1_BODY, 0),
        Err(Rejection::MissingHeader("x-hub-signature-256"))
    );
}

#[test]
fn rotation_and_optional_headers() {
    assert_eq!(
        run(&config(&["new secret", GH1_SECRET]), GH1_SIG, GH1_BODY),
        ok(Some(DELIVERY), Some("push"))
    );
    let h = [("x-hub-signature-256", GH1_SIG)];
    assert_eq!(
        post(&config(&[GH1_SECRET]), &h, GH1_BODY, 0),
        ok(None, None)
    );
}

/// GH-1, for the registry test.
pub(super) fn vector() -> super::Vector {
    super::Vector {
        config: config(&[GH1_SECRET]),
        method: "POST",
        url: super::URL.into(),
        headers: vec![
            ("X-Hub-Signature-256", GH1_SIG.into()),
            ("X-GitHub-Event", "push".into()),
            ("X-GitHub-Delivery", DELIVERY.into()),
        ],
        body: GH1_BODY,
        now: 0,
        expect: ok(Some(DELIVERY), Some("push")),
    }
}
