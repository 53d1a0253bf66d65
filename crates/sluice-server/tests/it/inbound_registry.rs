//! Every type of every registered provider (`sluice_core::inbound::PROVIDERS`) goes through
//! the API and the ingest route: created with the fields its provider requires (and refused,
//! at that field, without each), read back with the same `type` and no secret, and its
//! ingest URL reaches that provider's verifier. A provider added to the registry is covered
//! here without editing this file.

use serde_json::{json, Map, Value};
use sluice_core::inbound::{Field, Shown, PROVIDERS};

use crate::helpers::{expect_json, spawn_app};
use crate::inbound_common::{code_of, post_to};

const BASE: &str = "/ingest/api/v1/source";
/// A secret every provider accepts (Standard Webhooks needs `whsec_` base64).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A value for a required field.
fn sample(f: Field) -> Value {
    match f {
        Field::Secret => json!(SECRET),
        Field::VerifyToken => json!("verify-token-value"),
        other => panic!("no sample for {other:?}: is it required now?"),
    }
}

#[tokio::test]
async fn every_registered_type_round_trips_and_reaches_its_verifier() {
    let app = spawn_app().await;
    for p in &PROVIDERS {
        let required: Vec<Field> = p.fields.iter().copied().filter(|f| f.required()).collect();
        let config: Map<String, Value> = required
            .iter()
            .map(|f| (f.name().to_string(), sample(*f)))
            .collect();
        for t in p.types {
            let body = json!({"name": t, "type": t, "config": config});
            let text = expect_json(app.post(BASE, &body).await, 201).await;
            assert_eq!(text["type"], *t);
            let got = app
                .get_ok(&format!("{BASE}/{}", text["id"].as_str().unwrap()))
                .await;
            assert_eq!(got, text, "{t}: read back as created");
            let shown = got["config"].as_object().unwrap();
            for f in p.fields.iter().filter(|f| f.shown() == Shown::Never) {
                assert!(!shown.contains_key(f.name()), "{t}: {} shown", f.name());
            }
            assert!(!got.to_string().contains(SECRET), "{t}: secret echoed");

            // The ingest URL dispatches to the provider's verifier: an unsigned request is
            // refused by the signed schemes, and taken by an open generic source.
            let url = got["ingestUrl"].as_str().unwrap();
            let (status, answer) = post_to(&app, url, &[], b"{}").await;
            if p.reads(Field::Secret) {
                assert_eq!(status, 401, "{t}: {answer}");
                assert_eq!(code_of(&answer), "missing_header", "{t}: {answer}");
            } else {
                assert_eq!(status, 200, "{t}: {answer}");
            }
        }
        for missing in &required {
            let mut partial = config.clone();
            partial.remove(missing.name());
            let body = json!({"name": "x", "type": p.types[0], "config": partial});
            let refused = expect_json(app.post(BASE, &body).await, 422).await;
            let loc = json!(["body", format!("config.{}", missing.name())]);
            assert_eq!(refused["detail"][0]["loc"], loc, "{}: {refused}", p.name);
        }
    }
}
