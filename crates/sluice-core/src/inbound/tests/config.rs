//! Source configuration: validation at creation time and secret-free `Debug`.

use super::named;
use super::secrets;
use crate::inbound::{GenericAuth, InvalidConfig, SourceConfig};

#[test]
fn validate_accepts_usable_configs() {
    let ok = [
        SourceConfig::new(
            named("standard-webhooks"),
            secrets(&[
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=",
            ]),
        ),
        SourceConfig::new(named("stripe"), secrets(&["whsec_x"])),
        SourceConfig::new(named("paddle"), secrets(&["pdl_x"])),
        SourceConfig {
            verify_token: "t".into(),
            ..SourceConfig::new(named("meta"), secrets(&["s"]))
        },
        SourceConfig::new(named("twilio"), secrets(&["a", "b"])),
        SourceConfig {
            id_header: Some("X-Id".into()),
            id_json_pointer: Some("/id".into()),
            ..SourceConfig::new(named("generic-webhook"), vec![])
        },
    ];
    for cfg in &ok {
        assert_eq!(cfg.validate(), Ok(()), "{cfg:?}");
    }
}

#[test]
fn validate_refuses_unusable_configs() {
    let cases = [
        (
            SourceConfig::new(named("github"), vec![]),
            "at least one secret, none empty",
        ),
        (
            SourceConfig::new(named("slack"), secrets(&["a", ""])),
            "at least one secret, none empty",
        ),
        (
            SourceConfig::new(named("standard-webhooks"), secrets(&["whsec_!!"])),
            "secrets must be whsec_<base64> or whpk_<base64 ed25519 key>",
        ),
        (
            SourceConfig {
                tolerance_secs: 0,
                ..SourceConfig::new(named("stripe"), secrets(&["s"]))
            },
            "tolerance must be positive",
        ),
        (
            SourceConfig {
                verify_token: String::new(),
                ..SourceConfig::new(named("meta"), secrets(&["s"]))
            },
            "verify token must not be empty",
        ),
        (
            SourceConfig {
                auth: vec![GenericAuth::Bearer {
                    token: String::new(),
                }],
                ..SourceConfig::new(named("generic-webhook"), vec![])
            },
            "generic credentials must not be empty",
        ),
        (
            SourceConfig {
                id_header: Some("bad header".into()),
                ..SourceConfig::new(named("generic-webhook"), vec![])
            },
            "id header is not a valid header name",
        ),
        (
            SourceConfig {
                id_json_pointer: Some("id".into()),
                ..SourceConfig::new(named("generic-webhook"), vec![])
            },
            "id JSON pointer must start with '/'",
        ),
    ];
    for (cfg, why) in cases {
        assert_eq!(cfg.validate(), Err(InvalidConfig(why)), "{cfg:?}");
    }
}

#[test]
fn debug_never_shows_secrets() {
    let cfgs = [
        SourceConfig::new(named("stripe"), secrets(&["whsec_topsecret"])),
        SourceConfig {
            verify_token: "topsecret".into(),
            ..SourceConfig::new(named("meta"), secrets(&["topsecret"]))
        },
        SourceConfig {
            auth: vec![
                GenericAuth::Basic {
                    username: "u".into(),
                    password: "topsecret".into(),
                },
                GenericAuth::Bearer {
                    token: "topsecret".into(),
                },
                GenericAuth::Header {
                    name: "X-Key".into(),
                    value: "topsecret".into(),
                },
            ],
            ..SourceConfig::new(named("generic-webhook"), vec![])
        },
    ];
    for cfg in &cfgs {
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("topsecret"), "{shown}");
        assert!(shown.starts_with(cfg.kind()), "{shown}");
    }
}

#[test]
fn request_debug_shows_no_values() {
    let headers = vec![("Authorization".to_owned(), "Bearer topsecret".to_owned())];
    let req = crate::inbound::Request {
        method: "POST",
        url: "https://h/ingest/topsecret",
        headers: &headers,
        body: b"topsecret",
        now: 0,
    };
    let shown = format!("{req:?}");
    assert!(!shown.contains("topsecret"), "{shown}");
    assert!(shown.contains("Authorization"), "{shown}");
}
