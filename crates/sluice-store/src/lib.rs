//! The [`Store`] trait: every durable operation of Sluice, named by intent, and its embedded
//! SQLite backend ([`sqlite::SqliteStore`]).
//!
//! Rules every backend keeps (the conformance suite in `tests/` checks them):
//! - A write returns only after its transaction is committed at the configured durability.
//! - `create_message` writes the message and one delivery per matching endpoint atomically.
//! - Claims set a lease and return; nothing holds a transaction across network I/O.
//! - `now` is always passed in; no query reads the clock itself.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use sluice_core::model::{
    Application, Attempt, Delivery, DeliveryStatus, Endpoint, EventType, Message, Source,
};
use sluice_core::Millis;

mod error;
mod idempotency;
pub mod sqlite;

pub use error::{BoxError, ConflictKind, Context, StoreError, StoreResult};
pub use idempotency::IdempotencyBegin;

/// Sort order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Oldest (or alphabetically first) first.
    #[default]
    Ascending,
    /// Newest first.
    Descending,
}

/// One page request. `iterator` is the sort key (id, or name for event types) of the item
/// the previous page ended on; the page holds items strictly after it in `order`. With
/// `backwards`, the page holds the items strictly before it (still returned in `order`).
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Maximum items to return (1..=250).
    pub limit: usize,
    /// Cursor key, exclusive.
    pub iterator: Option<String>,
    /// Page towards the start instead of the end.
    pub backwards: bool,
    /// Sort order.
    pub order: Order,
}

/// A page of results; `has_more` says whether more items exist beyond it in the direction
/// that was paged.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    /// The items, in the requested order.
    pub items: Vec<T>,
    /// Whether another page exists in the paging direction.
    pub has_more: bool,
}

/// Filters of the message list.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// Only messages on this channel.
    pub channel: Option<String>,
    /// Only these event types.
    pub event_types: Option<Vec<String>>,
    /// Only messages created before this time.
    pub before: Option<Millis>,
    /// Only messages created after this time.
    pub after: Option<Millis>,
}

/// Filters of attempt lists. `msg_id`/`endpoint_id` scope the list.
#[derive(Debug, Clone, Default)]
pub struct AttemptFilter {
    /// Application id (always set).
    pub app_id: String,
    /// Only attempts of this message.
    pub msg_id: Option<String>,
    /// Only attempts to this endpoint.
    pub endpoint_id: Option<String>,
    /// Only attempts with this status (Success or Fail).
    pub status: Option<DeliveryStatus>,
    /// Only attempts whose status code is in this class (0 = none, 100, 200, ... 500).
    pub status_code_class: Option<i32>,
    /// Only attempts of messages with these event types.
    pub event_types: Option<Vec<String>>,
    /// Only attempts of messages on this channel.
    pub channel: Option<String>,
    /// Only attempts made before this time.
    pub before: Option<Millis>,
    /// Only attempts made after this time.
    pub after: Option<Millis>,
}

/// A cached API response kept for an `idempotency-key`.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedResponse {
    /// HTTP status.
    pub status: u16,
    /// Response body bytes.
    pub body: Vec<u8>,
}

/// One issued app-portal token, by its `jti`. The token is accepted while this row exists
/// and `now < valid_until`; logout and expire-all move `valid_until` earlier, never later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalToken {
    /// The token's `jti`.
    pub id: String,
    /// The application's organisation.
    pub org_id: String,
    /// The application the token reaches (`app_…`).
    pub app_id: String,
    /// The caller's `sessionId`, for expiring one session's tokens.
    pub session_id: Option<String>,
    /// When it was issued.
    pub created_at: Millis,
    /// End of validity: the token's `exp` at first, earlier once revoked.
    pub valid_until: Millis,
}

/// Parameters of a claim.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    /// Current time; deliveries with `next_attempt_at <= now` are due.
    pub now: Millis,
    /// The lease length: a claimed delivery becomes due again at `now + lease_ms` if its
    /// claimer never records an outcome (the process died).
    pub lease_ms: Millis,
    /// At most this many deliveries.
    pub limit: usize,
    /// At most this many deliveries of any one endpoint.
    pub per_endpoint: usize,
    /// Endpoints the caller cannot take more work for right now.
    pub exclude_endpoints: Vec<String>,
    /// At most this many deliveries of any one application (the caller's share of an
    /// application that holds no claims yet).
    pub per_app: usize,
    /// Applications that may take fewer than `per_app` because the caller already holds
    /// claims of theirs: how many more each may take (0: none, like an excluded endpoint).
    pub app_room: HashMap<String, usize>,
}

/// A delivery leased to the caller, with what is needed to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The delivery, now in `Sending` with `next_attempt_at` = lease expiry.
    pub delivery: Delivery,
    /// The fencing token: outcomes are applied only while it still matches.
    pub lease: i64,
    /// The message (with payload).
    pub message: Message,
    /// The endpoint (with sealed secrets).
    pub endpoint: Endpoint,
}

/// What happens to a delivery after a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryNext {
    /// Delivered.
    Succeeded,
    /// Due again at this time (round_attempts is incremented when an attempt is recorded).
    RetryAt(Millis),
    /// Exhausted: dead-letter state.
    Failed,
}

/// The outcome of one claimed delivery, applied with [`Store::record_outcomes`].
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Delivery id.
    pub delivery_id: String,
    /// Fencing token from the claim.
    pub lease: i64,
    /// The try that was made, if one was (a claim can be released without a try).
    pub attempt: Option<Attempt>,
    /// New state of the delivery.
    pub next: DeliveryNext,
    /// Disable the endpoint (it answered 410).
    pub disable_endpoint: bool,
}

/// What [`Store::create_inbound_message`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundAccepted {
    /// A first sighting: the message and this many deliveries are committed.
    Created {
        /// Deliveries created (one per matching endpoint).
        deliveries: usize,
    },
    /// The source already had this dedupe key inside the dedupe window (or the message's
    /// event id is taken): nothing was written.
    Duplicate,
}

/// How many rotated ingest tokens of one source may be valid at once (Svix: "rotated a
/// maximum of three times within the 48-hour period").
pub const MAX_VALID_OLD_TOKENS: usize = 3;

/// Everything Sluice keeps. One implementation per backend.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    // --- applications -------------------------------------------------------------------
    /// Inserts an application. `Conflict(AppUid)` if the uid is taken in the org.
    async fn create_app(&self, app: Application) -> StoreResult<()>;
    /// An application of `org_id` by id or uid.
    async fn get_app(&self, org_id: &str, id_or_uid: &str) -> StoreResult<Option<Application>>;
    /// Applications of an org, by id.
    async fn list_apps(&self, org_id: &str, page: Page) -> StoreResult<Listed<Application>>;
    /// Replaces the mutable fields of an existing application (matched by id).
    async fn update_app(&self, app: Application) -> StoreResult<()>;
    /// Deletes an application with its endpoints, messages, deliveries and attempts.
    async fn delete_app(&self, org_id: &str, app_id: &str) -> StoreResult<()>;

    // --- event types --------------------------------------------------------------------
    /// Inserts an event type. `Conflict(EventTypeName)` if it exists.
    async fn create_event_type(&self, et: EventType) -> StoreResult<()>;
    /// An event type by name (archived ones included).
    async fn get_event_type(&self, org_id: &str, name: &str) -> StoreResult<Option<EventType>>;
    /// Event types of an org ordered by name; archived ones only if asked.
    async fn list_event_types(
        &self,
        org_id: &str,
        include_archived: bool,
        page: Page,
    ) -> StoreResult<Listed<EventType>>;
    /// Replaces an existing event type (matched by org and name).
    async fn update_event_type(&self, et: EventType) -> StoreResult<()>;
    /// Removes an event type for good.
    async fn delete_event_type(&self, org_id: &str, name: &str) -> StoreResult<()>;

    // --- endpoints ----------------------------------------------------------------------
    /// Inserts an endpoint. `Conflict(EndpointUid)` if the uid is taken in the app.
    async fn create_endpoint(&self, ep: Endpoint) -> StoreResult<()>;
    /// An endpoint of `app_id` by id or uid.
    async fn get_endpoint(&self, app_id: &str, id_or_uid: &str) -> StoreResult<Option<Endpoint>>;
    /// Endpoints of an app, by id.
    async fn list_endpoints(&self, app_id: &str, page: Page) -> StoreResult<Listed<Endpoint>>;
    /// Replaces an existing endpoint (matched by id). Re-enabling an endpoint wakes the
    /// dispatcher, since its waiting deliveries become sendable.
    async fn update_endpoint(&self, ep: Endpoint) -> StoreResult<()>;
    /// Deletes an endpoint and its unfinished deliveries (attempt history is kept).
    async fn delete_endpoint(&self, app_id: &str, endpoint_id: &str) -> StoreResult<()>;
    /// Delivery counts of an endpoint by status, for deliveries created in `[since, until)`.
    async fn endpoint_stats(
        &self,
        endpoint_id: &str,
        since: Millis,
        until: Millis,
    ) -> StoreResult<Vec<(DeliveryStatus, u64)>>;

    // --- messages -----------------------------------------------------------------------
    /// Commits a message and one `Pending` delivery (due at `now`) per enabled endpoint of
    /// its app whose filters match, in one transaction; returns the delivery count. With
    /// `only_endpoint`, the single delivery goes to that endpoint of the app, filters
    /// bypassed (send-example). `Conflict(MessageEventId)` if the app already has a message
    /// with that event id. Wakes the dispatcher when deliveries were created.
    async fn create_message(
        &self,
        msg: Message,
        only_endpoint: Option<String>,
        now: Millis,
    ) -> StoreResult<usize>;
    /// A message of `app_id` by id or event id.
    async fn get_message(&self, app_id: &str, id_or_event_id: &str)
        -> StoreResult<Option<Message>>;
    /// Messages of an app (newest first by default).
    async fn list_messages(
        &self,
        app_id: &str,
        filter: MessageFilter,
        page: Page,
    ) -> StoreResult<Listed<Message>>;

    // --- attempts and deliveries --------------------------------------------------------
    /// Attempts matching the filter, by attempt id.
    async fn list_attempts(
        &self,
        filter: AttemptFilter,
        page: Page,
    ) -> StoreResult<Listed<Attempt>>;
    /// One attempt of a message.
    async fn get_attempt(
        &self,
        app_id: &str,
        msg_id: &str,
        attempt_id: &str,
    ) -> StoreResult<Option<Attempt>>;
    /// Messages with a delivery to this endpoint, with that delivery, by message id.
    async fn list_endpoint_deliveries(
        &self,
        endpoint_id: &str,
        status: Option<DeliveryStatus>,
        page: Page,
    ) -> StoreResult<Listed<(Message, Delivery)>>;
    /// Endpoints a message has a delivery to, with that delivery, by endpoint id.
    async fn list_message_deliveries(
        &self,
        msg_id: &str,
        page: Page,
    ) -> StoreResult<Listed<(Endpoint, Delivery)>>;
    /// Queues one manual try of a message to an endpoint (filters bypassed), creating the
    /// delivery if the message never had one for this endpoint. Wakes the dispatcher.
    async fn resend(&self, msg_id: &str, endpoint_id: &str, now: Millis) -> StoreResult<()>;
    /// Puts the endpoint's failed (dead-lettered) deliveries created in `[since, until)` back
    /// in the queue as one manual try each, as Svix's recover does; returns how many. Wakes
    /// the dispatcher.
    async fn recover_endpoint(
        &self,
        endpoint_id: &str,
        since: Millis,
        until: Millis,
        now: Millis,
    ) -> StoreResult<u64>;

    // --- dispatch -----------------------------------------------------------------------
    /// Leases due deliveries (pending and due, or sending with an expired lease) of enabled
    /// endpoints, oldest due first, respecting the per-endpoint bound and exclusions.
    async fn claim_due(&self, req: ClaimRequest) -> StoreResult<Vec<Claimed>>;
    /// Applies outcomes in one transaction. An outcome whose lease no longer matches still
    /// records its attempt (the try happened) but leaves the delivery alone.
    async fn record_outcomes(&self, outcomes: Vec<Outcome>) -> StoreResult<()>;
    /// The earliest `next_attempt_at` of any pending or sending delivery of an enabled endpoint.
    async fn next_due_at(&self) -> StoreResult<Option<Millis>>;
    /// Signalled after a commit that created due work (new deliveries, resend, recover,
    /// re-enabled endpoint), so the dispatcher need not poll.
    fn work_signal(&self) -> Arc<tokio::sync::Notify>;

    // --- inbound sources ------------------------------------------------------------------
    /// Inserts a source together with its application and its current token (by hash), in
    /// one transaction. `Conflict(SourceUid)` or `Conflict(AppUid)` if the source's or the
    /// application's uid is taken.
    async fn create_source(
        &self,
        app: Application,
        source: Source,
        token_hash: String,
    ) -> StoreResult<()>;
    /// A source of `org_id` by id or uid.
    async fn get_source(&self, org_id: &str, id_or_uid: &str) -> StoreResult<Option<Source>>;
    /// Sources of an org, by id.
    async fn list_sources(&self, org_id: &str, page: Page) -> StoreResult<Listed<Source>>;
    /// Every source of one type in every org (the cron scheduler's list).
    async fn sources_of_kind(&self, kind: &str) -> StoreResult<Vec<Source>>;
    /// Replaces uid, name, type, config and metadata of an existing source (matched by id).
    async fn update_source(&self, source: Source) -> StoreResult<()>;
    /// Deletes a source with its tokens, dedupe rows and application (endpoints, messages,
    /// deliveries, attempts).
    async fn delete_source(&self, org_id: &str, source_id: &str) -> StoreResult<()>;
    /// Makes a new token (sealed, and its hash) current; the previous current token stays
    /// valid until `old_expires_at`. `Conflict(SourceTokenRotations)` if
    /// [`MAX_VALID_OLD_TOKENS`] rotated tokens are still valid at `now`.
    async fn rotate_source_token(
        &self,
        source_id: &str,
        sealed_token: Vec<u8>,
        token_hash: String,
        old_expires_at: Millis,
        now: Millis,
    ) -> StoreResult<()>;
    /// The source whose current token, or whose rotated token still valid at `now`, has
    /// this hash.
    async fn source_by_token(&self, token_hash: &str, now: Millis) -> StoreResult<Option<Source>>;
    /// Dedupes on (`source_id`, `dedupe_key`) and, if the key is new (or absent), commits
    /// the message and its deliveries as [`Store::create_message`] does, all in one
    /// transaction: concurrent identical requests yield one message.
    ///
    /// `dedupe_key` is normally `msg.event_id`. For an event without one it is a key derived
    /// from the event's content: that key lives only in the dedupe rows, so it stops being
    /// a duplicate when the window purges it, whereas a message's event id also stays
    /// unique for as long as the message is stored.
    async fn create_inbound_message(
        &self,
        source_id: &str,
        msg: Message,
        dedupe_key: Option<String>,
        now: Millis,
    ) -> StoreResult<InboundAccepted>;
    /// Drops dedupe rows created before `dedupe_before` and rotated tokens expired at `now`;
    /// returns how many rows went.
    async fn purge_inbound(&self, dedupe_before: Millis, now: Millis) -> StoreResult<u64>;

    // --- idempotency and health ---------------------------------------------------------
    /// Claims `key` for a request about to run until `now + lease_ms`, or says why not:
    /// its response is stored, or another claim on it is still live (see
    /// [`IdempotencyBegin`]). Of concurrent callers on any number of nodes, one runs.
    async fn idempotency_begin(
        &self,
        key: &str,
        now: Millis,
        lease_ms: Millis,
    ) -> StoreResult<IdempotencyBegin>;
    /// Extends the claim held with `token` to `now + lease_ms` (a long request); false if
    /// the claim is no longer held.
    async fn idempotency_renew(
        &self,
        key: &str,
        token: i64,
        now: Millis,
        lease_ms: Millis,
    ) -> StoreResult<bool>;
    /// Stores the response of the request that held `key` with `token` and ends the claim;
    /// false (nothing stored) if the claim was lost to a caller that took it over.
    async fn idempotency_finish(
        &self,
        key: &str,
        token: i64,
        resp: CachedResponse,
        now: Millis,
    ) -> StoreResult<bool>;
    /// Gives up the claim held with `token` (the request failed or was cancelled), so the
    /// next caller runs the request. No-op if the claim was lost.
    async fn idempotency_abandon(&self, key: &str, token: i64) -> StoreResult<()>;
    /// Drops idempotency entries (responses and claims) created before `before`; returns how
    /// many.
    async fn idempotency_purge(&self, before: Millis) -> StoreResult<u64>;

    // --- app-portal tokens ----------------------------------------------------------------
    /// Records an issued token (`Conflict(Id)` if its id exists).
    async fn create_portal_token(&self, token: PortalToken) -> StoreResult<()>;
    /// The token with this `jti`, whether still valid or not.
    async fn portal_token(&self, id: &str) -> StoreResult<Option<PortalToken>>;
    /// Ends one token at `at` (logout), unless it already ends earlier. `NotFound` if absent.
    async fn revoke_portal_token(&self, id: &str, at: Millis) -> StoreResult<()>;
    /// Ends at `at` every token of `app_id` still valid at `now` (only those whose session
    /// id is listed, when `session_ids` is given) unless it already ends earlier; returns
    /// how many were shortened. Tokens issued later are not affected.
    async fn expire_portal_tokens(
        &self,
        app_id: &str,
        session_ids: Option<Vec<String>>,
        at: Millis,
        now: Millis,
    ) -> StoreResult<u64>;
    /// Drops tokens no longer valid at `now` (a missing row is as invalid as an ended one).
    async fn purge_portal_tokens(&self, now: Millis) -> StoreResult<u64>;
    /// Checks that the backend answers.
    async fn ping(&self) -> StoreResult<()>;
}
