//! The registry is complete: every provider in [`PROVIDERS`] has a verifier vector that
//! verifies (and fails with a wrong secret), types that resolve to it and to nothing else,
//! a page under `docs/inbound/`, and the rows of `docs/inbound/README.md` that list it. A
//! provider added to the table without one of these pieces fails here.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::{generic, github, linear, meta, paddle, shopify, slack, standard, stripe, twilio};
use super::{zoom, Vector};
use crate::inbound::registry::{supported_types, Unsupported, CRON};
use crate::inbound::{ContentKey, Field, GenericAuth, Provider, Rejection, SourceType, Verdict};
use crate::inbound::{SourceConfig, PROVIDERS};

/// A provider test module's `vector()`.
type MakeVector = fn() -> Vector;

/// Each provider's vector, by provider name.
const VECTORS: &[(&str, MakeVector)] = &[
    ("generic-webhook", generic::vector),
    ("stripe", stripe::vector),
    ("github", github::vector),
    ("shopify", shopify::vector),
    ("slack", slack::vector),
    ("zoom", zoom::vector),
    ("meta", meta::vector),
    ("paddle", paddle::vector),
    ("linear", linear::vector),
    ("twilio", twilio::vector),
    ("standard-webhooks", standard::vector),
];

/// A well-formed secret no vector is signed with.
const WRONG: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// The vector's config with every credential replaced by a wrong one.
fn forged(config: &SourceConfig) -> SourceConfig {
    let mut c = config.clone();
    c.secrets = c.secrets.iter().map(|_| WRONG.to_owned()).collect();
    for a in &mut c.auth {
        match a {
            GenericAuth::Basic { password: v, .. }
            | GenericAuth::Bearer { token: v }
            | GenericAuth::Header { value: v, .. } => *v = "wrong".into(),
        }
    }
    c
}

#[test]
fn every_provider_has_a_vector_that_verifies_and_a_wrong_secret_fails() {
    for p in &PROVIDERS {
        let Some((_, vector)) = VECTORS.iter().find(|(name, _)| *name == p.name) else {
            panic!(
                "provider {} has no verifier vector in inbound/tests",
                p.name
            );
        };
        let v = vector();
        assert_eq!(
            v.config.provider, p,
            "{}: vector of another provider",
            p.name
        );
        assert_eq!(
            v.config.validate(),
            Ok(()),
            "{}: vector config invalid",
            p.name
        );
        assert!(
            matches!(v.expect, Ok(Verdict::Verified { .. })),
            "{}: a vector is a genuine event: {:?}",
            p.name,
            v.expect
        );
        assert_eq!(v.run(&v.config), v.expect, "{}", p.name);
        let credentials = v.config.secrets.len() + v.config.auth.len();
        assert!(
            credentials > 0,
            "{}: the vector checks no credential",
            p.name
        );
        let refused = v.run(&forged(&v.config));
        assert!(
            matches!(refused, Err(Rejection::BadSignature | Rejection::BadToken)),
            "{}: a wrong secret gave {refused:?}",
            p.name
        );
    }
    for (name, _) in VECTORS {
        assert!(
            Provider::named(name).is_some(),
            "vector of unregistered {name}"
        );
    }
}

#[test]
fn types_resolve_to_their_provider_and_nothing_else() {
    let mut names = BTreeSet::new();
    let mut types = BTreeSet::from([CRON]);
    for p in &PROVIDERS {
        assert!(names.insert(p.name), "provider name {} twice", p.name);
        assert!(!p.types.is_empty(), "{} has no type", p.name);
        assert!(!p.fields.is_empty(), "{} reads no config", p.name);
        for t in p.types {
            assert!(types.insert(t), "type {t} twice (or is cron)");
            assert_eq!(SourceType::of(t), Ok(SourceType::Inbound(p)));
        }
        // A provider with a tolerance has it positive by default, so a fresh config is usable.
        assert!(p.tolerance_secs.is_none_or(|t| t > 0), "{}", p.name);
    }
    assert_eq!(SourceType::of(CRON), Ok(SourceType::Cron));
    assert_eq!(supported_types().collect::<BTreeSet<_>>(), types);
    let refused = SourceType::of("hubspot").unwrap_err();
    assert_eq!(refused, Unsupported("hubspot".into()));
    let message = refused.to_string();
    for t in &types {
        assert!(message.contains(t), "{t} missing from {message}");
    }
}

#[test]
fn fields_say_what_is_required_and_shown() {
    // Secrets are required and never shown; the generic settings are optional.
    for f in [Field::Secret, Field::VerifyToken] {
        assert!(f.required());
        assert_eq!(f.shown(), crate::inbound::Shown::Never);
    }
    for f in [Field::Auth, Field::IdHeader, Field::IdJsonPointer] {
        assert!(!f.required());
        assert_ne!(f.shown(), crate::inbound::Shown::Never);
    }
    assert!(PROVIDERS
        .iter()
        .all(|p| p.reads(Field::Secret) != p.reads(Field::Auth)));
}

fn docs(file: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "../../docs/inbound", file]
        .iter()
        .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The cells of the table rows after `heading` in `text`.
fn table_after(text: &str, heading: &str) -> Vec<Vec<String>> {
    let start = text.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    text[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // the header and the separator
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

/// The `backticked` words of a cell.
fn ticked(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

#[test]
fn docs_list_every_provider_with_its_page() {
    let readme = docs("README.md");
    let rows = table_after(&readme, "## Provider pages");
    for p in &PROVIDERS {
        let page = format!("{}.md", p.name);
        docs(&page);
        let link = format!("]({page})");
        let Some(row) = rows.iter().find(|r| r[1].contains(&link)) else {
            panic!("docs/inbound/README.md lists no row for {page}");
        };
        let listed = ticked(&row[0]);
        assert!(!listed.is_empty(), "{page}: row names no type");
        for t in listed {
            assert!(
                p.types.contains(&t),
                "{page}: row lists {t}, not a type of {}",
                p.name
            );
        }
    }
    for row in &rows {
        let types = ticked(&row[0]);
        let known = types.iter().all(|t| SourceType::of(t).is_ok());
        assert!(known, "README row of unsupported types: {row:?}");
    }
    // The types the Svix SDK does not know are named as Sluice's own.
    let line = readme
        .lines()
        .find(|l| l.contains("are Sluice types"))
        .expect("the sentence naming Sluice's own types");
    let ours: BTreeSet<&str> = ticked(line).into_iter().collect();
    let expected: BTreeSet<&str> = PROVIDERS
        .iter()
        .filter(|p| !p.in_sdk)
        .flat_map(|p| p.types.iter().copied())
        .collect();
    assert_eq!(ours, expected);
}

#[test]
fn docs_give_each_provider_its_dedupe_rule() {
    let rows = table_after(&docs("README.md"), "### Events without an event id");
    let norm = |s: &str| s.to_lowercase().replace(['-', '`'], " ");
    let row_of = |covers_query: bool| {
        let row = rows
            .iter()
            .find(|r| r[1].contains("query") == covers_query)
            .expect("a row per dedupe rule");
        norm(&row[0])
    };
    let (body, request) = (row_of(false), row_of(true));
    for p in &PROVIDERS {
        let name = norm(p.name);
        let (mine, other) = match p.content_key {
            ContentKey::Body => (&body, &request),
            ContentKey::Request => (&request, &body),
        };
        assert!(mine.contains(&name), "{} missing from {mine:?}", p.name);
        assert!(!other.contains(&name), "{} listed under {other:?}", p.name);
    }
}

#[test]
fn docs_list_every_rejection_code() {
    let rows = table_after(&docs("README.md"), "### Rejections");
    let documented: Vec<&str> = rows.iter().flat_map(|r| ticked(&r[0])).collect();
    assert_eq!(documented, Rejection::CODES);
}
