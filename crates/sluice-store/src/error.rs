//! [`StoreError`]: what a backend reports, typed so that callers decide by variant, never
//! by message text.
//!
//! - A broken uniqueness rule is [`StoreError::Conflict`] with the rule's [`ConflictKind`];
//!   each backend maps its own constraint names to these kinds.
//! - A backend that cannot serve right now (pool exhausted, connection lost, lock wait timed
//!   out, disk full) is [`StoreError::Unavailable`]: the same request may succeed later, and
//!   the API answers 503 with `Retry-After`.
//! - An edit that the caller's own closure refused is [`StoreError::Declined`], carrying
//!   the closure's reason back to it.
//! - Anything else is [`StoreError::Backend`].
//!
//! The driver's error is kept as the [`source`](std::error::Error::source) of the last two,
//! so logs can show the whole chain while API responses show none of it.

/// The underlying cause of a backend failure.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors of any backend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The row does not exist (or is not visible to the caller's scope).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule (or a limit on the rows of one owner) was broken.
    #[error("conflict: {0:?}")]
    Conflict(ConflictKind),
    /// The backend cannot serve right now; the same request may succeed later.
    #[error("storage unavailable: {0}")]
    Unavailable(#[source] BoxError),
    /// The backend failed.
    #[error("storage error: {0}")]
    Backend(#[source] BoxError),
    /// The caller's edit of a row ([`Store::edit_endpoint`](crate::Store::edit_endpoint))
    /// refused the change; nothing was written. The source is the edit's own reason, for
    /// the caller to take back (downcast) and report.
    #[error("edit declined: {0}")]
    Declined(#[source] BoxError),
}

/// Which rule a [`StoreError::Conflict`] broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConflictKind {
    /// An application of the organisation already has this uid.
    AppUid,
    /// An endpoint of the application already has this uid.
    EndpointUid,
    /// The organisation already has an event type of this name.
    EventTypeName,
    /// A message of the application already has this event id.
    MessageEventId,
    /// A source of the organisation already has this uid.
    SourceUid,
    /// An ingest token with this hash exists.
    SourceToken,
    /// The source already has [`MAX_VALID_OLD_TOKENS`](crate::MAX_VALID_OLD_TOKENS) rotated
    /// tokens that are still valid.
    SourceTokenRotations,
    /// A row with this id (application, endpoint, message, source, app-portal token)
    /// exists: ids are generated, so this is a retried write or an id collision.
    Id,
    /// An integration key with this digest exists (a key collision, or a retried write).
    IntegrationKey,
    /// The message's payload was expunged, so it cannot be sent again.
    PayloadExpunged,
}

impl StoreError {
    /// A [`StoreError::Backend`] with `cause` (an error, or a message) as its source.
    pub fn backend(cause: impl Into<BoxError>) -> Self {
        Self::Backend(cause.into())
    }

    /// A [`StoreError::Unavailable`] with `cause` (an error, or a message) as its source.
    pub fn unavailable(cause: impl Into<BoxError>) -> Self {
        Self::Unavailable(cause.into())
    }

    /// Whether trying the same operation again may succeed: the backend failed or was
    /// unavailable, rather than refusing this operation for what it asks.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Backend(_))
    }
}

/// Result alias.
pub type StoreResult<T> = Result<T, StoreError>;

/// A message with an underlying error: "what was being done", caused by `source`.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub struct Context {
    what: String,
    #[source]
    source: BoxError,
}

impl Context {
    /// `what` failed because of `source`.
    pub fn new(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self {
            what: what.into(),
            source: source.into(),
        }
    }
}
