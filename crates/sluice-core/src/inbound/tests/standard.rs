//! Standard Webhooks / Svix: SW-1, SW-2, SW-v1a and the python multi-signature vector
//! (signatures.md §1.2).

use super::named;
use super::{ok, post, secrets};
use crate::inbound::{Rejection, SourceConfig};
use crate::signing::SigningKey;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS: i64 = 1614265330;
const BODY: &[u8] = br#"{"test": 2432232314}"#;
const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const OTHER: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

fn config(list: &[&str]) -> SourceConfig {
    SourceConfig::new(named("standard-webhooks"), secrets(list))
}

fn webhook(sig: &str) -> [(&'static str, String); 3] {
    [
        ("webhook-id", ID.to_owned()),
        ("webhook-timestamp", TS.to_string()),
        ("webhook-signature", sig.to_owned()),
    ]
}

fn run(cfg: &SourceConfig, h: &[(&str, String)], body: &[u8], now: i64) -> super::Result {
    let pairs: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post(cfg, &pairs, body, now)
}

#[test]
fn sw1_with_webhook_and_svix_headers() {
    let cfg = config(&[SECRET]);
    assert_eq!(run(&cfg, &webhook(SIG), BODY, TS), ok(Some(ID), None));
    let svix = [
        ("Svix-Id", ID.to_owned()),
        ("Svix-Timestamp", TS.to_string()),
        ("Svix-Signature", SIG.to_owned()),
    ];
    assert_eq!(run(&cfg, &svix, BODY, TS), ok(Some(ID), None));
}

#[test]
fn sw2_and_its_negative() {
    let cfg = config(&[OTHER]);
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    let h = |sig: &str| {
        [
            ("webhook-id", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk".to_owned()),
            ("webhook-timestamp", "1649367553".to_owned()),
            ("webhook-signature", sig.to_owned()),
        ]
    };
    let good = h("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
    assert_eq!(
        run(&cfg, &good, body, 1649367553),
        ok(Some("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"), None)
    );
    let bad = h("v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU=");
    assert_eq!(
        run(&cfg, &bad, body, 1649367553),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn v1a_with_a_whpk_public_key() {
    let cfg = config(&["whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="]);
    let sig = "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==";
    assert_eq!(run(&cfg, &webhook(sig), BODY, TS), ok(Some(ID), None));
    assert_eq!(
        run(&cfg, &webhook(sig), br#"{"test": 2432232315}"#, TS),
        Err(Rejection::BadSignature)
    );
    // A v1 HMAC token does not verify against a public key.
    assert_eq!(
        run(&cfg, &webhook(SIG), BODY, TS),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn forged_tampered_and_wrong_secret() {
    let cfg = config(&[SECRET]);
    let forged = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=";
    assert_eq!(
        run(&cfg, &webhook(forged), BODY, TS),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        run(&cfg, &webhook(SIG), br#"{"test": 2432232315}"#, TS),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        run(&config(&[OTHER]), &webhook(SIG), BODY, TS),
        Err(Rejection::BadSignature)
    );
    // The id is signed: changing it breaks the signature.
    let mut h = webhook(SIG);
    h[0].1 = "msg_other".to_owned();
    assert_eq!(run(&cfg, &h, BODY, TS), Err(Rejection::BadSignature));
}

#[test]
fn multi_signature_list_and_rotation() {
    let list = format!(
        "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {SIG} v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    );
    assert_eq!(
        run(&config(&[SECRET]), &webhook(&list), BODY, TS),
        ok(Some(ID), None)
    );
    // Rotation: the current secret does not match, the previous one still in the list does.
    assert_eq!(
        run(&config(&[OTHER, SECRET]), &webhook(SIG), BODY, TS),
        ok(Some(ID), None)
    );
}

#[test]
fn timestamp_window_is_300s_both_ways() {
    let cfg = config(&[SECRET]);
    assert_eq!(run(&cfg, &webhook(SIG), BODY, TS + 300), ok(Some(ID), None));
    assert_eq!(run(&cfg, &webhook(SIG), BODY, TS - 300), ok(Some(ID), None));
    assert_eq!(
        run(&cfg, &webhook(SIG), BODY, TS + 301),
        Err(Rejection::StaleTimestamp)
    );
    assert_eq!(
        run(&cfg, &webhook(SIG), BODY, TS - 301),
        Err(Rejection::FutureTimestamp)
    );
    // A forged request is a bad signature whatever its age.
    let forged = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=";
    assert_eq!(
        run(&cfg, &webhook(forged), BODY, TS + 9999),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn missing_and_malformed_headers() {
    let cfg = config(&[SECRET]);
    for (i, name) in ["webhook-id", "webhook-timestamp", "webhook-signature"]
        .into_iter()
        .enumerate()
    {
        let mut h = webhook(SIG).to_vec();
        h.remove(i);
        assert_eq!(run(&cfg, &h, BODY, TS), Err(Rejection::MissingHeader(name)));
    }
    for ts in ["abc", "+1614265330", "1614265330.5", "-1"] {
        let mut h = webhook(SIG);
        h[1].1 = ts.to_owned();
        assert_eq!(
            run(&cfg, &h, BODY, TS),
            Err(Rejection::MalformedHeader("webhook-timestamp")),
            "{ts}"
        );
    }
    // The family is chosen by the signature header; mixing families is refused.
    let mixed = [
        ("webhook-id", ID.to_owned()),
        ("webhook-timestamp", TS.to_string()),
        ("svix-signature", SIG.to_owned()),
    ];
    assert_eq!(
        run(&cfg, &mixed, BODY, TS),
        Err(Rejection::MissingHeader("svix-id"))
    );
    // Garbage tokens are skipped, leaving no match.
    assert_eq!(
        run(&cfg, &webhook("v1 nonsense,,"), BODY, TS),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn unpadded_secrets_and_event_type() {
    for s in [
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr",
    ] {
        let body = br#"{"type":"user.created","data":{}}"#;
        let sig = SigningKey::parse(s).unwrap().sign(ID, TS, body);
        assert_eq!(
            run(&config(&[s]), &webhook(&sig), body, TS),
            ok(Some(ID), Some("user.created")),
            "{s}"
        );
    }
}

#[test]
fn unusable_secrets_are_a_misconfiguration() {
    assert_eq!(
        run(&config(&["not base64!"]), &webhook(SIG), BODY, TS),
        Err(Rejection::Misconfigured("no valid whsec_/whpk_ secret"))
    );
    assert_eq!(
        run(&config(&[]), &webhook(SIG), BODY, TS),
        Err(Rejection::Misconfigured("no valid whsec_/whpk_ secret"))
    );
}

/// SW-1, for the registry test.
pub(super) fn vector() -> super::Vector {
    super::Vector {
        config: config(&[SECRET]),
        method: "POST",
        url: super::URL.into(),
        headers: webhook(SIG).to_vec(),
        body: BODY,
        now: TS,
        expect: ok(Some(ID), None),
    }
}
