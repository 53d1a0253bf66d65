//! Twilio: TW-1 (form), TW-2 (repeated names), TW-3 (JSON `bodySHA256`) and the port
//! variants of twilio-python's tests (signatures.md §7).

use super::named;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};

use super::{call, ok, secrets};
use crate::inbound::{Rejection, SourceConfig};

const TOKEN: &str = "12345";
const URI: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
/// TW-1's parameters, form-encoded as Twilio posts them (`+` as `%2B`), in any order.
const FORM: &[u8] = b"To=%2B18005551212&CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309";
const TW1: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
const JSON_BODY: &[u8] = br#"{"property": "value", "boolean": true}"#;
const BODY_HASH: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
const FORM_CT: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

fn config(list: &[&str]) -> SourceConfig {
    SourceConfig::new(named("twilio"), secrets(list))
}

fn form(cfg: &SourceConfig, url: &str, sig: &str, body: &[u8]) -> super::Result {
    call(
        cfg,
        "POST",
        url,
        &[FORM_CT, ("X-Twilio-Signature", sig)],
        body,
        0,
    )
}

#[test]
fn tw1_form_parameters() {
    assert_eq!(form(&config(&[TOKEN]), URI, TW1, FORM), ok(None, None));
}

#[test]
fn tw2_repeated_parameter_names() {
    let body = b"Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234";
    assert_eq!(
        form(&config(&[TOKEN]), URI, "IK+Dwps556ElfBT0I3Rgjkr1wJU=", body),
        ok(None, None)
    );
}

#[test]
fn tw3_json_body_hash() {
    let url = format!("{URI}&bodySHA256={BODY_HASH}");
    let h = [
        ("Content-Type", "application/json"),
        ("X-Twilio-Signature", "a9nBmqA0ju/hNViExpshrM61xv4="),
        (
            "I-Twilio-Idempotency-Token",
            "a8a8e2b6-1b0b-4a2e-9f5e-3c1d2f6b7e8a",
        ),
    ];
    let cfg = config(&[TOKEN]);
    assert_eq!(
        call(&cfg, "POST", &url, &h, JSON_BODY, 0),
        ok(Some("a8a8e2b6-1b0b-4a2e-9f5e-3c1d2f6b7e8a"), None)
    );
    // The URL (with the hash) is still genuine, but the body is not the one hashed.
    assert_eq!(
        call(
            &cfg,
            "POST",
            &url,
            &h,
            br#"{"property": "evil", "boolean": true}"#,
            0
        ),
        Err(Rejection::BadBodyHash)
    );
    // Changing the hash in the URL breaks the signature.
    let other = format!("{URI}&bodySHA256={}", "0".repeat(64));
    assert_eq!(
        call(&cfg, "POST", &other, &h, JSON_BODY, 0),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn port_variants() {
    let cfg = config(&[TOKEN]);
    // https with :1234, signed without the port.
    let https_port = URI.replace(".com", ".com:1234");
    assert_eq!(form(&cfg, &https_port, TW1, FORM), ok(None, None));
    // http with :1234, signed with it.
    let http_port = https_port.replace("https", "http");
    assert_eq!(
        form(&cfg, &http_port, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", FORM),
        ok(None, None)
    );
    // No port in the URL, signed with the default one added.
    assert_eq!(
        form(&cfg, URI, "kvajT1Ptam85bY51eRf/AJRuM3w=", FORM),
        ok(None, None)
    );
    let http = URI.replace("https", "http");
    assert_eq!(
        form(&cfg, &http, "0ZXoZLH/DfblKGATFgpif+LLRf4=", FORM),
        ok(None, None)
    );
    // ...but not a signature for another scheme's default port.
    assert_eq!(
        form(&cfg, &http, "kvajT1Ptam85bY51eRf/AJRuM3w=", FORM),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn get_requests_sign_the_url_alone() {
    let url = "https://mycompany.com/voice?CallSid=CA1&From=%2B1415";
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(TOKEN.as_bytes()).unwrap();
    m.update(url.as_bytes());
    let sig = STANDARD.encode(m.finalize().into_bytes());
    let h = [("X-Twilio-Signature", sig.as_str())];
    assert_eq!(
        call(&config(&[TOKEN]), "GET", url, &h, b"", 0),
        ok(None, None)
    );
    assert_eq!(
        call(&config(&[TOKEN]), "DELETE", url, &h, b"", 0),
        Err(Rejection::MethodNotAllowed)
    );
}

#[test]
fn negatives_and_rotation() {
    let cfg = config(&[TOKEN]);
    let tampered = FORM
        .to_vec()
        .iter()
        .map(|&b| if b == b'4' { b'5' } else { b })
        .collect::<Vec<_>>();
    assert_eq!(
        form(&cfg, URI, TW1, &tampered),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        form(
            &cfg,
            "https://attacker.example/myapp.php?foo=1&bar=2",
            TW1,
            FORM
        ),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        form(&config(&["54321"]), URI, TW1, FORM),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        form(&config(&["54321", TOKEN]), URI, TW1, FORM),
        ok(None, None)
    );
    assert_eq!(
        form(&cfg, URI, "SSOYDt4T1cUTdK1PDd93/VVr8B8=", FORM),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        form(&cfg, URI, "not base64!", FORM),
        Err(Rejection::MalformedHeader("x-twilio-signature"))
    );
    assert_eq!(
        call(&cfg, "POST", URI, &[FORM_CT], FORM, 0),
        Err(Rejection::MissingHeader("x-twilio-signature"))
    );
    // Without the form content type the parameters are not part of the signed data.
    let h = [("X-Twilio-Signature", TW1)];
    assert_eq!(
        call(&cfg, "POST", URI, &h, FORM, 0),
        Err(Rejection::BadSignature)
    );
}

/// TW-1, for the registry test.
pub(super) fn vector() -> super::Vector {
    super::Vector {
        config: config(&[TOKEN]),
        method: "POST",
        url: URI.into(),
        headers: vec![
            (FORM_CT.0, FORM_CT.1.into()),
            ("X-Twilio-Signature", TW1.into()),
        ],
        body: FORM,
        now: 0,
        expect: ok(None, None),
    }
}
