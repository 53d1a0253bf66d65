//! The operations: every change Sluice's management surfaces can make (publish a message,
//! create or patch an endpoint, rotate a secret, recover, resend, manage sources, issue
//! app-portal access, expunge, …) as a plain async function, and the one place their
//! business rules live.
//!
//! Each operation takes a [`Ctx`] (store, secrets, config), the [`Caller`](crate::auth::Caller)
//! it acts for, its input, and `now`, and returns a domain value or an [`Error`]. None reads
//! the clock: the caller passes the time in (the HTTP adapter from `AppState.clock`), so a
//! test can run the whole API on a manual clock. None knows HTTP: the adapters in
//! [`crate::api`] extract, call, and turn the result into a response; the CLI and the
//! console call the same functions.
//!
//! Inputs are the API's body structs ([`crate::api::models`]): they are the product's
//! vocabulary (the Svix shapes), and their own field rules run first, so a problem with a
//! field and a broken business rule are reported together in one [`Error::Invalid`].
//!
//! # Layout
//! - [`scope`]: which application, endpoint, message or source a caller reaches — the only
//!   place app scope is enforced.
//! - [`apps`], [`event_types`], [`endpoints`], [`endpoint_secret`], [`endpoint_headers`],
//!   [`delivery`] (recover, resend, send-example, stats), [`messages`], [`integrations`],
//!   [`sources`], [`portal`], [`redrive`] (dead letters, recover, replays), [`tasks`]
//!   (background tasks, expunge-all, bulk expunge, usage stats): one module per area.
//! - [`operational`]: the operator's operational webhook endpoints, kept as endpoints of
//!   an application of the management org (one per customer org).
//! - [`error`] and [`problems`]: what they answer when they refuse.

pub mod apps;
pub mod attempt_stats;
pub mod delivery;
pub mod endpoint_events;
pub mod endpoint_headers;
pub mod endpoint_secret;
pub mod endpoints;
pub mod error;
pub mod event_types;
pub mod integrations;
pub mod messages;
pub mod operational;
pub mod portal;
pub mod problems;
pub mod redrive;
pub mod scope;
pub mod sources;
pub mod tasks;

use sluice_core::secretbox::SecretBox;
use sluice_store::Store;

pub use self::error::{Error, Result};
pub use self::problems::{Problems, ValidationItem};
pub use self::scope::Scope;
use crate::config::Config;
use crate::events::EventSink;
use crate::state::AppState;

/// What operations work with: borrowed, so building one per request costs nothing.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The durable store.
    pub store: &'a dyn Store,
    /// Seals and opens endpoint secrets, headers, source configs and keys.
    pub secrets: &'a SecretBox,
    /// Server configuration (public URL, limits).
    pub config: &'a Config,
    /// HS256 key of app-portal tokens.
    pub jwt_secret: &'a [u8],
    /// Where operational events go (endpoint changes are reported after their commit).
    pub events: &'a dyn EventSink,
}

impl<'a> Ctx<'a> {
    /// The context of a running server.
    pub fn of(state: &'a AppState) -> Self {
        Self {
            store: &*state.store,
            secrets: &state.secrets,
            config: &state.config,
            jwt_secret: &state.jwt_secret,
            events: &*state.events,
        }
    }
}

/// What a create-or-replace did: a new entity, or one that existed (replaced by an upsert,
/// or returned as it was when the caller asked for that).
#[derive(Debug, Clone, PartialEq)]
pub enum Upserted<T> {
    /// Created now.
    Created(T),
    /// It existed already.
    Existing(T),
}

impl<T> Upserted<T> {
    /// Whether it was created now.
    pub fn created(&self) -> bool {
        matches!(self, Self::Created(_))
    }

    /// The entity either way.
    pub fn into_inner(self) -> T {
        match self {
            Self::Created(v) | Self::Existing(v) => v,
        }
    }

    /// Converts the entity, keeping which case it was.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Upserted<U> {
        match self {
            Self::Created(v) => Upserted::Created(f(v)),
            Self::Existing(v) => Upserted::Existing(f(v)),
        }
    }
}
