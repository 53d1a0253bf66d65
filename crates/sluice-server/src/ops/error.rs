//! [`Error`]: why an operation did not happen, in the domain's words. The HTTP adapter maps
//! each variant to a status and a Svix-shaped body (`crate::error`); a CLI or the console
//! can print the same error as it is.

use sluice_store::{ConflictKind, StoreError};

use super::problems::ValidationItem;

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The entity does not exist, or not for this caller; the text says what is missing.
    #[error("{0}")]
    NotFound(&'static str),
    /// The caller may not do this here.
    #[error("{0}")]
    Forbidden(String),
    /// It would break a uniqueness rule.
    #[error("{0}")]
    Conflict(String),
    /// The input breaks field rules or business rules; every problem, located.
    #[error("invalid input: {}", describe(.0))]
    Invalid(Vec<ValidationItem>),
    /// A rule refused the request; `code` names the rule (`limit_reached`,
    /// `missing_payload`).
    #[error("{detail}")]
    Refused {
        /// Stable name of the rule.
        code: &'static str,
        /// What happened and what to do.
        detail: String,
    },
    /// The store failed or refused in a way this operation does not translate.
    #[error(transparent)]
    Store(StoreError),
    /// Something that should not happen, e.g. a stored secret that cannot be unsealed (a
    /// changed `encryption_key`). The text is for logs.
    #[error("{0}")]
    Internal(String),
}

/// Result alias of operations.
pub type Result<T> = std::result::Result<T, Error>;

/// The detail of Svix's generic 404.
pub const ENTITY_NOT_FOUND: &str = "Entity not found";

impl Error {
    /// The generic "Entity not found".
    pub fn not_found() -> Self {
        Self::NotFound(ENTITY_NOT_FOUND)
    }

    /// One located problem (`loc` is e.g. `["body", "since"]`).
    pub fn invalid(loc: &[&str], msg: impl Into<String>) -> Self {
        Self::Invalid(vec![ValidationItem::new(loc, msg)])
    }

    /// A refusal by the rule `code`.
    pub fn refused(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Refused {
            code,
            detail: detail.into(),
        }
    }

    /// An internal failure, logged where it is turned into a response.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }
}

impl From<StoreError> for Error {
    /// Absence and conflicts become the domain's own variants; an edit refused inside the
    /// store ([`StoreError::Declined`]) gives back the operation's error it carries.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::Conflict(kind) => Self::Conflict(conflict_detail(kind).into()),
            StoreError::Declined(why) => match why.downcast::<Error>() {
                Ok(mine) => *mine,
                Err(other) => Self::Internal(format!("edit declined: {other}")),
            },
            other => Self::Store(other),
        }
    }
}

/// Svix's wording for the uniqueness rules the store reports.
fn conflict_detail(kind: ConflictKind) -> &'static str {
    match kind {
        ConflictKind::MessageEventId => {
            "A message with this eventId already exists for this application"
        }
        ConflictKind::AppUid | ConflictKind::EndpointUid | ConflictKind::SourceUid => {
            "An entity with this uid already exists"
        }
        ConflictKind::EventTypeName => "An event type with this name already exists",
        ConflictKind::SourceTokenRotations => "Too many rotated tokens are still valid",
        ConflictKind::PayloadExpunged => "The message's payload was expunged",
        _ => "An entity with this id already exists",
    }
}

fn describe(items: &[ValidationItem]) -> String {
    items
        .iter()
        .map(|i| format!("{}: {}", i.loc.join("."), i.msg))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declined_edit_gives_back_the_operations_error() {
        let why = Error::refused("limit_reached", "too many");
        let back = Error::from(StoreError::Declined(Box::new(why)));
        assert!(matches!(
            back,
            Error::Refused {
                code: "limit_reached",
                ..
            }
        ));
        let foreign = Error::from(StoreError::Declined("not ours".into()));
        assert!(matches!(foreign, Error::Internal(_)));
    }

    #[test]
    fn invalid_input_reads_as_its_problems() {
        let e = Error::invalid(&["body", "url"], "bad url");
        assert_eq!(e.to_string(), "invalid input: body.url: bad url");
    }
}
