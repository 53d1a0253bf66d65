//! The [`Store`] trait: every durable operation of Sluice, named by intent, with its embedded
//! SQLite backend ([`sqlite::SqliteStore`]) and its PostgreSQL backend
//! ([`postgres::PgStore`]).
//!
//! Rules every backend keeps (the conformance suite in `tests/` checks them):
//! - A write returns only after its transaction is committed at the configured durability.
//! - `create_message` writes the message and one delivery per matching endpoint atomically.
//! - Claims set a lease and return; nothing holds a transaction across network I/O.
//! - `now` is always passed in; no query reads the clock itself.

use async_trait::async_trait;
use sluice_core::control::EndpointControl;
use sluice_core::model::{
    Application, Attempt, Delivery, DeliveryStatus, Endpoint, EventType, Integration, Message,
    Source,
};
use sluice_core::Millis;

pub mod commits;
pub mod copy;
mod error;
mod idempotency;
pub mod postgres;
mod queue;
mod sql;
pub mod sqlite;
mod stored;
mod tasks;

pub use error::{BoxError, ConflictKind, Context, StoreError, StoreResult};
pub use idempotency::IdempotencyBegin;
pub use queue::QueueStore;
pub use tasks::{
    AppUsage, ClaimedTask, DeadLetter, DeadLetterFilter, LastAttempt, MessageHead, ReplaySelection,
    Task, TaskAction, TaskDataEdit, TaskFilter, TaskStatus, TaskStep,
};

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

/// Filters of the message list. Also the selection a bulk replay would re-send (Svix's
/// `BulkReplayIn` filters by the same `eventTypes`, `channel`, `tag` and time window).
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// Only messages on this channel.
    pub channel: Option<String>,
    /// Only messages carrying this tag.
    pub tag: Option<String>,
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
    /// Only attempts of messages carrying this tag.
    pub tag: Option<String>,
    /// Only attempts made before this time.
    pub before: Option<Millis>,
    /// Only attempts made after this time.
    pub after: Option<Millis>,
}

/// Most rows one count of [`Store::queue_depths`] reads: a count that reaches it reads as
/// this value ("at least"), so sampling the depths costs at most this many index entries
/// per count, however deep the queue.
pub const DEPTH_CAP: u64 = 100_000;

/// How much work the queue holds at one moment, cluster-wide (see [`Store::queue_depths`]).
/// Each count saturates at [`DEPTH_CAP`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepths {
    /// Due now, for an endpoint that can be sent to (pending, or sending under an expired
    /// lease), counted over the oldest [`DEPTH_CAP`] due deliveries.
    pub due: u64,
    /// Due now, but kept for a disabled (or deleted) endpoint: never dropped, sent when the
    /// endpoint is enabled again.
    pub held: u64,
    /// Waiting for a later time (a retry, or `deliverAt`).
    pub scheduled: u64,
    /// Being sent, under a lease that has not expired.
    pub in_flight: u64,
    /// Failed with no tries left (dead letters), until recovered or replayed.
    pub dead_letters: u64,
    /// The due time of the oldest due delivery of an endpoint that can be sent to, if any
    /// is due: `now` minus this is the queue's lag.
    pub oldest_due_at: Option<Millis>,
}

/// A cached API response kept for an `idempotency-key`.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedResponse {
    /// HTTP status.
    pub status: u16,
    /// Response body bytes.
    pub body: Vec<u8>,
    /// The message the response shows (a publish or send-example answer), so that
    /// expunging that message can drop this copy of its payload.
    pub msg_id: Option<String>,
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

/// What one [`Store::prune_messages`] window deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrunedMessages {
    /// Messages deleted.
    pub messages: u64,
    /// Their deliveries deleted.
    pub deliveries: u64,
    /// Their attempts deleted.
    pub attempts: u64,
    /// The last message id examined when the window was full (more may follow: pass it as
    /// the next `after`); `None` when the walk reached the cut.
    pub next: Option<String>,
}

/// A change to one endpoint, run by [`Store::edit_endpoint`] on the row as it is inside
/// the write: it edits the endpoint in place, or refuses with its reason (which comes back
/// as [`StoreError::Declined`]). It runs while the backend holds the row for writing, so it
/// must be quick and do no I/O.
pub type EndpointEdit = Box<dyn FnOnce(&mut Endpoint) -> Result<(), BoxError> + Send>;

/// A change to one application, run by [`Store::edit_app`] on the row as it is inside the
/// write, as [`EndpointEdit`] is for endpoints.
pub type AppEdit = Box<dyn FnOnce(&mut Application) -> Result<(), BoxError> + Send>;

/// A change to one event type, run by [`Store::edit_event_type`] as [`AppEdit`] is.
pub type EventTypeEdit = Box<dyn FnOnce(&mut EventType) -> Result<(), BoxError> + Send>;

/// How many rotated ingest tokens of one source may be valid at once (Svix: "rotated a
/// maximum of three times within the 48-hour period").
pub const MAX_VALID_OLD_TOKENS: usize = 3;

/// Everything Sluice keeps. One implementation per backend. The queue's part, which is all
/// the dispatcher sees, is the [`QueueStore`] role.
#[async_trait]
pub trait Store: QueueStore {
    // --- applications -------------------------------------------------------------------
    /// Inserts an application. `Conflict(AppUid)` if the uid is taken in the org.
    async fn create_app(&self, app: Application) -> StoreResult<()>;
    /// An application of `org_id` by id or uid.
    async fn get_app(&self, org_id: &str, id_or_uid: &str) -> StoreResult<Option<Application>>;
    /// An application by its id alone, whatever its org: for those who know only the id
    /// (an operational event names the application, not its org). `None` if no such app.
    async fn app_by_id(&self, app_id: &str) -> StoreResult<Option<Application>>;
    /// Applications of an org, by id.
    async fn list_apps(&self, org_id: &str, page: Page) -> StoreResult<Listed<Application>>;
    /// Replaces the mutable fields of an existing application (matched by id).
    async fn update_app(&self, app: Application) -> StoreResult<()>;
    /// Reads application `app_id` of `org_id`, applies `edit` and writes the result in one
    /// write transaction with the row held, so concurrent edits (on any node) apply one
    /// after the other and none overwrites another with a stale copy. Returns the
    /// application as written. `NotFound` if absent; `Declined` if `edit` refused;
    /// `Conflict(AppUid)` if the edit took a uid in use.
    async fn edit_app(&self, org_id: &str, app_id: &str, edit: AppEdit)
        -> StoreResult<Application>;
    /// Deletes an application with its endpoints, integrations, messages, deliveries and
    /// attempts.
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
    /// Reads event type `name` of `org_id`, applies `edit` (which must keep the name) and
    /// writes the result in one write transaction with the row held, as
    /// [`Store::edit_app`] does. `NotFound` if absent; `Declined` if `edit` refused.
    async fn edit_event_type(
        &self,
        org_id: &str,
        name: &str,
        edit: EventTypeEdit,
    ) -> StoreResult<EventType>;
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
    /// Reads endpoint `endpoint_id` of `app_id`, applies `edit` and writes the result, in
    /// one write transaction with the row held, so concurrent edits of one endpoint apply
    /// one after the other and none overwrites another with a stale copy (what a read,
    /// then an [`Store::update_endpoint`], would do). Returns the endpoint as written.
    /// `NotFound` if absent; `Declined` (nothing written) if `edit` refused;
    /// `Conflict(EndpointUid)` if the edit took a uid in use. Wakes the dispatcher as
    /// [`Store::update_endpoint`] does.
    async fn edit_endpoint(
        &self,
        app_id: &str,
        endpoint_id: &str,
        edit: EndpointEdit,
    ) -> StoreResult<Endpoint>;
    /// The endpoint's delivery control state (circuit, failing clock, throttle and pause
    /// times; the default when it has none). Re-enabling an endpoint
    /// ([`Store::update_endpoint`], [`Store::edit_endpoint`] with `disabled: false`) resets
    /// it.
    async fn endpoint_control(&self, endpoint_id: &str) -> StoreResult<EndpointControl> {
        let mut all = self
            .endpoint_controls(vec![endpoint_id.to_string()])
            .await?;
        Ok(all.remove(endpoint_id).unwrap_or_default())
    }
    /// [`Store::endpoint_control`] of several endpoints in one read (a page of endpoints);
    /// an endpoint without state is absent (its state is the default).
    async fn endpoint_controls(
        &self,
        endpoint_ids: Vec<String>,
    ) -> StoreResult<std::collections::HashMap<String, EndpointControl>>;
    /// Brings the probe of the endpoint's open circuit forward to `now`, so it may go at
    /// once instead of after the cool-down. A redrive calls it: the operator has acted on
    /// the receiver, and the re-sent deliveries should not wait out a cool-down of up to
    /// `circuit_max_cooldown_secs`. The probe still goes alone and first, and a failed one
    /// reopens the circuit with the cool-down grown. Returns whether the circuit was open
    /// (half-open and closed circuits are left alone); wakes the dispatcher if it was.
    async fn probe_circuit_now(&self, endpoint_id: &str, now: Millis) -> StoreResult<bool>;
    /// Deletes an endpoint and its unfinished deliveries (attempt history is kept).
    async fn delete_endpoint(&self, app_id: &str, endpoint_id: &str) -> StoreResult<()>;
    /// Delivery counts of an endpoint by status, for deliveries created in `[since, until)`.
    async fn endpoint_stats(
        &self,
        endpoint_id: &str,
        since: Millis,
        until: Millis,
    ) -> StoreResult<Vec<(DeliveryStatus, u64)>>;
    /// Attempt counts of an endpoint by status (`Success`, `Fail`; zeros included), for
    /// attempts made in `[since, until)`.
    async fn endpoint_attempt_stats(
        &self,
        endpoint_id: &str,
        since: Millis,
        until: Millis,
    ) -> StoreResult<Vec<(DeliveryStatus, u64)>>;

    // --- integrations -------------------------------------------------------------------
    /// Inserts an integration with the digest of its clear key.
    async fn create_integration(&self, integ: Integration, key_hash: String) -> StoreResult<()>;
    /// An integration of `app_id` by id.
    async fn get_integration(&self, app_id: &str, id: &str) -> StoreResult<Option<Integration>>;
    /// Integrations of an app, by id.
    async fn list_integrations(&self, app_id: &str, page: Page)
        -> StoreResult<Listed<Integration>>;
    /// Replaces name, feature flags and `updated_at` of an existing integration.
    async fn update_integration(&self, integ: Integration) -> StoreResult<()>;
    /// Deletes an integration (its key stops existing with it).
    async fn delete_integration(&self, app_id: &str, id: &str) -> StoreResult<()>;
    /// Replaces an integration's key (sealed, and its digest); the old key is gone.
    async fn rotate_integration_key(
        &self,
        app_id: &str,
        id: &str,
        sealed_key: Vec<u8>,
        key_hash: String,
        now: Millis,
    ) -> StoreResult<()>;

    // --- messages -----------------------------------------------------------------------
    /// Commits a message (with its tags) and one `Pending` delivery per enabled endpoint of
    /// its app whose filters match, in one transaction; returns the delivery count. The
    /// deliveries are due at `now`, or at `msg.deliver_at` when that is later. With
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
    /// Removes a message's payload (and an inbound message's provider headers) for good:
    /// the message row, its deliveries and attempts stay, unfinished deliveries that are
    /// not in flight become `Fail` (they can never be sent), and cached idempotent
    /// responses that contain the message are dropped. The freed bytes are overwritten and
    /// the WAL is checkpointed and truncated before this returns, so the payload is in
    /// none of the database files. Idempotent. `NotFound` if the app has no such message.
    async fn expunge_message_content(
        &self,
        app_id: &str,
        msg_id: &str,
        now: Millis,
    ) -> StoreResult<()>;
    /// Expunges the listed messages of `app_id` as [`Store::expunge_message_content`] does,
    /// all in one transaction and (SQLite) one WAL truncation. Messages already expunged,
    /// unknown, or of another application are left alone. Returns how many lost their
    /// payload now.
    async fn expunge_messages_content(
        &self,
        app_id: &str,
        msg_ids: Vec<String>,
        now: Millis,
    ) -> StoreResult<u64>;
    /// Replaces an attempt's stored response body with `EXPUNGED` (as Svix does), with the
    /// same overwriting as [`Store::expunge_message_content`]. `NotFound` if absent.
    async fn expunge_attempt_content(
        &self,
        app_id: &str,
        msg_id: &str,
        attempt_id: &str,
    ) -> StoreResult<()>;

    // --- retention ----------------------------------------------------------------------
    /// Retention's expunge: removes the payloads of up to `limit` messages whose
    /// `payload_expires_at` is at or before `now` and that still have one (soonest expiry
    /// first), each as [`Store::expunge_message_content`] does (payload and inbound headers
    /// gone from the files, pending deliveries failed, cached responses dropped), in one
    /// transaction; returns how many. A pass calls it until it returns less than `limit`,
    /// so no single call holds the writer for long.
    async fn expire_payloads(&self, now: Millis, limit: usize) -> StoreResult<u64>;
    /// Deletes the oldest `limit` attempts (at most) created before `before`, in one
    /// transaction; returns how many. The deliveries they belong to are not changed.
    async fn prune_attempts(&self, before: Millis, limit: usize) -> StoreResult<u64>;
    /// Examines the next `limit` messages (by id) created before `before` whose id is after
    /// `after` (`""`: from the first) and deletes, in one transaction, those that have no
    /// unfinished delivery (pending or in flight) and no delivery changed at or after
    /// `before`, with their deliveries, attempts, tag rows and cached responses. A message
    /// with an unfinished delivery is never deleted. Pass [`PrunedMessages::next`] back as
    /// `after` until it is `None`.
    async fn prune_messages(
        &self,
        before: Millis,
        after: &str,
        limit: usize,
    ) -> StoreResult<PrunedMessages>;

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
    /// `Conflict("payload")` if the message's payload was expunged.
    async fn resend(&self, msg_id: &str, endpoint_id: &str, now: Millis) -> StoreResult<()>;
    /// Puts the endpoint's failed (dead-lettered) deliveries created in `[since, until)` back
    /// in the queue as one manual try each, as Svix's recover does; returns how many. Wakes
    /// the dispatcher. Deliveries of messages whose payload was expunged stay failed.
    async fn recover_endpoint(
        &self,
        endpoint_id: &str,
        since: Millis,
        until: Millis,
        now: Millis,
    ) -> StoreResult<u64>;

    // --- dead letters and background tasks ------------------------------------------------
    /// Dead letters (deliveries in the `Fail` state) of an application, or of one of its
    /// endpoints, matching the filter, by delivery id (newest first by default). Walks a
    /// partial index of failed deliveries only.
    async fn list_dead_letters(
        &self,
        filter: DeadLetterFilter,
        page: Page,
    ) -> StoreResult<Listed<DeadLetter>>;
    /// The endpoint's deliveries a bulk replay with `sel` re-sends, as (delivery id,
    /// message id), by message id, after message id `after`, at most `limit` (1..=250).
    async fn list_replayable(
        &self,
        endpoint_id: &str,
        sel: ReplaySelection,
        after: Option<String>,
        limit: usize,
    ) -> StoreResult<Vec<(String, String)>>;
    /// How many deliveries [`Store::list_replayable`] lists for `sel` over all pages (a
    /// dry run of the bulk replay).
    async fn count_replayable(&self, endpoint_id: &str, sel: ReplaySelection) -> StoreResult<u64>;
    /// Messages of an application created in `[since, until)`, by id, after id `after`, at
    /// most `limit` (1..=250), without their payloads.
    async fn list_message_heads(
        &self,
        app_id: &str,
        since: Millis,
        until: Millis,
        after: Option<String>,
        limit: usize,
    ) -> StoreResult<Vec<MessageHead>>;
    /// Usage counts of an application over `[since, until)`.
    async fn app_usage(&self, app_id: &str, since: Millis, until: Millis) -> StoreResult<AppUsage>;
    /// Inserts a task (status as given, no lease). `Conflict(Id)` if the id exists.
    async fn create_task(&self, task: Task) -> StoreResult<()>;
    /// A task of `org_id` by id.
    async fn get_task(&self, org_id: &str, id: &str) -> StoreResult<Option<Task>>;
    /// Tasks of an org matching the filter, by id (oldest first by default).
    async fn list_tasks(
        &self,
        org_id: &str,
        filter: TaskFilter,
        page: Page,
    ) -> StoreResult<Listed<Task>>;
    /// Leases one running task whose lease is free at `now` (never leased, expired, or
    /// released) to `holder` until `now + lease_ms`, oldest first, with a new fencing
    /// token. Of concurrent claimers on any number of nodes, each gets a different task
    /// (PostgreSQL: `FOR UPDATE SKIP LOCKED`). `None` when there is nothing to run.
    async fn claim_task(
        &self,
        holder: &str,
        now: Millis,
        lease_ms: Millis,
    ) -> StoreResult<Option<ClaimedTask>>;
    /// Applies one batch of a task in one transaction: the step's action, its cursor, its
    /// progress (`step.data` gets the number of items the action changed), its end if
    /// `finish` is set, and the lease renewed to `now + lease_ms`. Only while the task is
    /// running under `step.token`: otherwise nothing is written and the answer is `None`
    /// (the lease was lost, so the batch belongs to the new holder). Returns the number
    /// of items changed. Wakes the dispatcher when deliveries became due.
    async fn advance_task(
        &self,
        step: TaskStep,
        now: Millis,
        lease_ms: Millis,
    ) -> StoreResult<Option<u64>>;
    /// Drops tasks that ended (finished or failed) before `ended_before`; returns how many.
    /// Running tasks are kept whatever their age.
    async fn purge_tasks(&self, ended_before: Millis) -> StoreResult<u64>;

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
    /// The queue's depths at `now`, over the whole store (every node of a cluster reads the
    /// same values). Bounded: each count reads at most [`DEPTH_CAP`] entries of a partial
    /// index that holds only the rows it counts (unfinished, sending, or failed), and the
    /// oldest due time is [`QueueStore::next_due_at`]'s bounded search.
    async fn queue_depths(&self, now: Millis) -> StoreResult<QueueDepths>;

    // --- cluster-wide jobs ----------------------------------------------------------------
    /// Takes, or keeps, the lease of the periodic job `job` for `holder` (a node's id) until
    /// `now + ttl_ms`; false while another holder's lease runs. A job run only by the holder
    /// of its lease runs on one node at a time, whatever the number of nodes; a holder that
    /// dies loses the lease when it expires. (One process owns a SQLite file, so there it
    /// is always true.)
    async fn try_lead(
        &self,
        job: &str,
        holder: &str,
        now: Millis,
        ttl_ms: Millis,
    ) -> StoreResult<bool>;
}
