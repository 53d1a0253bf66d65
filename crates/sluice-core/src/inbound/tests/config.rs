//! Source configuration: validation at creation time and secret-free `Debug`.

use super::secrets;
use crate::inbound::{GenericAuth, InvalidConfig, SourceConfig};

#[test]
fn validate_accepts_usable_configs() {
    let ok = [
        SourceConfig::StandardWebhooks {
            secrets: secrets(&[
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=",
            ]),
        },
        SourceConfig::stripe(secrets(&["whsec_x"])),
        SourceConfig::paddle(secrets(&["pdl_x"])),
        SourceConfig::Meta {
            app_secrets: secrets(&["s"]),
            verify_token: "t".into(),
        },
        SourceConfig::Twilio {
            auth_tokens: secrets(&["a", "b"]),
        },
        SourceConfig::GenericWebhook {
            auth: vec![],
            id_header: Some("X-Id".into()),
            id_json_pointer: Some("/id".into()),
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
            SourceConfig::Github { secrets: vec![] },
            "at least one secret, none empty",
        ),
        (
            SourceConfig::Slack {
                secrets: secrets(&["a", ""]),
            },
            "at least one secret, none empty",
        ),
        (
            SourceConfig::StandardWebhooks {
                secrets: secrets(&["whsec_!!"]),
            },
            "secrets must be whsec_<base64> or whpk_<base64 ed25519 key>",
        ),
        (
            SourceConfig::Stripe {
                secrets: secrets(&["s"]),
                tolerance_secs: 0,
            },
            "tolerance must be positive",
        ),
        (
            SourceConfig::Meta {
                app_secrets: secrets(&["s"]),
                verify_token: String::new(),
            },
            "verify token must not be empty",
        ),
        (
            SourceConfig::GenericWebhook {
                auth: vec![GenericAuth::Bearer {
                    token: String::new(),
                }],
                id_header: None,
                id_json_pointer: None,
            },
            "generic credentials must not be empty",
        ),
        (
            SourceConfig::GenericWebhook {
                auth: vec![],
                id_header: Some("bad header".into()),
                id_json_pointer: None,
            },
            "id header is not a valid header name",
        ),
        (
            SourceConfig::GenericWebhook {
                auth: vec![],
                id_header: None,
                id_json_pointer: Some("id".into()),
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
        SourceConfig::stripe(secrets(&["whsec_topsecret"])),
        SourceConfig::Meta {
            app_secrets: secrets(&["topsecret"]),
            verify_token: "topsecret".into(),
        },
        SourceConfig::GenericWebhook {
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
            id_header: None,
            id_json_pointer: None,
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
