//! Located input problems. Each check adds to a [`Problems`] list so one failure reports
//! every bad field of an input at once (as Svix's 422s do): the API models' field rules and
//! the operations' business rules (event types that must exist, limits) add to the same
//! list.

use serde::Serialize;

use super::error::{Error, Result};

/// One problem: where (`["body", "url"]`, `["query", "limit"]`) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationItem {
    /// Location of the offending value.
    pub loc: Vec<String>,
    /// Human-readable reason.
    pub msg: String,
    /// Error kind, e.g. `value_error`.
    #[serde(rename = "type")]
    pub ty: String,
}

impl ValidationItem {
    /// A `value_error` at `loc`.
    pub fn new(loc: &[&str], msg: impl Into<String>) -> Self {
        Self {
            loc: loc.iter().map(|s| s.to_string()).collect(),
            msg: msg.into(),
            ty: "value_error".into(),
        }
    }
}

/// Collected problems of one input.
#[derive(Debug, Default)]
pub struct Problems(Vec<ValidationItem>);

impl Problems {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a failure of `field` (located under `body`).
    pub fn add(&mut self, field: &str, msg: impl Into<String>) {
        self.0.push(ValidationItem::new(&["body", field], msg));
    }

    /// Records `result`'s error, if any, against `field`.
    pub fn check(&mut self, field: &str, result: std::result::Result<(), String>) {
        if let Err(msg) = result {
            self.add(field, msg);
        }
    }

    /// Whether a failure of `field` was recorded (so that a lookup need not run on a value
    /// already refused).
    pub fn has(&self, field: &str) -> bool {
        self.0
            .iter()
            .any(|i| i.loc.get(1).is_some_and(|f| f == field))
    }

    /// `Ok` when nothing was recorded, else [`Error::Invalid`] with every problem.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}
