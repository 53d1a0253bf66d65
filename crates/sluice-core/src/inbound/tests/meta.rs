//! Meta: the POST signature is GitHub's scheme, so GH-1 is its official vector; the GET
//! subscription handshake.

use super::named;
use super::{call, mac_hex, ok, post, secrets, URL};
use crate::inbound::{Rejection, SourceConfig, Verdict};

const SECRET: &str = "It's a Secret to Everybody";
const GH1_SIG: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

fn config(list: &[&str]) -> SourceConfig {
    SourceConfig {
        verify_token: "my verify token".to_owned(),
        ..SourceConfig::new(named("meta"), secrets(list))
    }
}

fn get(query: &str) -> super::Result {
    call(
        &config(&[SECRET]),
        "GET",
        &format!("{URL}?{query}"),
        &[],
        b"",
        0,
    )
}

/// Meta sends no event id: the verdict has none (the route dedupes on the body's digest).
#[test]
fn post_verified_with_gh1_and_no_event_id() {
    let h = [("X-Hub-Signature-256", GH1_SIG)];
    assert_eq!(
        post(&config(&[SECRET]), &h, b"Hello, World!", 0),
        ok(None, None)
    );
    assert_eq!(
        post(&config(&["new", SECRET]), &h, b"Hello, World!", 0),
        ok(None, None)
    );
}

#[test]
fn post_event_type_and_negatives() {
    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    let sig = format!("sha256={}", mac_hex(SECRET, &[body]));
    let verdict = post(
        &config(&[SECRET]),
        &[("x-hub-signature-256", &sig)],
        body,
        0,
    );
    assert!(
        matches!(&verdict, Ok(Verdict::Verified { event_type: Some(t), event_id: None }) if t == "whatsapp_business_account"),
        "{verdict:?}"
    );
    let cfg = config(&[SECRET]);
    assert_eq!(
        post(&cfg, &[("x-hub-signature-256", &sig)], b"{}", 0),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        post(
            &config(&["other"]),
            &[("x-hub-signature-256", &sig)],
            body,
            0
        ),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        post(&cfg, &[], body, 0),
        Err(Rejection::MissingHeader("x-hub-signature-256"))
    );
    assert_eq!(
        post(&cfg, &[("x-hub-signature-256", &sig[7..])], body, 0),
        Err(Rejection::MalformedHeader("x-hub-signature-256"))
    );
    assert_eq!(
        call(&cfg, "PUT", URL, &[("x-hub-signature-256", &sig)], body, 0),
        Err(Rejection::MethodNotAllowed)
    );
}

#[test]
fn get_handshake_answers_the_challenge() {
    assert_eq!(
        get("hub.mode=subscribe&hub.verify_token=my+verify%20token&hub.challenge=1158201444"),
        Ok(Verdict::Handshake {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            body: b"1158201444".to_vec(),
        })
    );
}

#[test]
fn get_handshake_refusals() {
    assert_eq!(
        get("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1"),
        Err(Rejection::BadToken)
    );
    assert_eq!(
        get("hub.mode=unsubscribe&hub.verify_token=my+verify+token&hub.challenge=1"),
        Err(Rejection::BadParam("hub.mode"))
    );
    assert_eq!(
        get("hub.mode=subscribe&hub.challenge=1"),
        Err(Rejection::BadParam("hub.verify_token"))
    );
    assert_eq!(
        get("hub.mode=subscribe&hub.verify_token=my+verify+token"),
        Err(Rejection::BadParam("hub.challenge"))
    );
    assert_eq!(
        call(&config(&[SECRET]), "GET", URL, &[], b"", 0),
        Err(Rejection::BadParam("hub.mode"))
    );
    let no_token = SourceConfig {
        verify_token: String::new(),
        ..SourceConfig::new(named("meta"), secrets(&[SECRET]))
    };
    let url = format!("{URL}?hub.mode=subscribe&hub.verify_token=&hub.challenge=1");
    assert_eq!(
        call(&no_token, "GET", &url, &[], b"", 0),
        Err(Rejection::Misconfigured("no verify token configured"))
    );
}

/// GH-1 as a Meta POST, for the registry test.
pub(super) fn vector() -> super::Vector {
    super::Vector {
        config: config(&[SECRET]),
        method: "POST",
        url: URL.into(),
        headers: vec![("X-Hub-Signature-256", GH1_SIG.into())],
        body: b"Hello, World!",
        now: 0,
        expect: ok(None, None),
    }
}
