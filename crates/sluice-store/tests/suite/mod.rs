//! The backend-independent conformance suite: every function takes an `Arc<dyn Store>` (or
//! a way to open one) so each backend runs the same checks.

#![allow(dead_code)] // each backend's runner uses what it supports

pub mod admin;
pub mod control;
pub mod depths;
pub mod dispatch;
pub mod edits;
pub mod fairness;
pub mod idempotency;
pub mod inbound;
pub mod integrations;
pub mod lifecycle;
pub mod lists;
pub mod lookups;
pub mod messages;
pub mod parity;
pub mod portal;
pub mod queue;
pub mod retention;
pub mod tasks;
pub mod views;

/// Calls `$runner!` with every test of the suite, so that each backend's runner runs all of
/// them: a test added here runs on SQLite and on PostgreSQL.
macro_rules! every_test {
    ($runner:ident) => {
        $runner!(
            messages::fan_out_follows_filters,
            messages::event_id_conflict_keeps_one,
            messages::get_message_by_id_or_event_id,
            messages::work_signal_after_deliveries,
            queue::claim_respects_due_bounds_and_exclusions,
            queue::expired_lease_is_reclaimed_and_fenced,
            queue::blocked_backlog_does_not_starve_others,
            queue::claim_from_large_backlog_returns_a_batch,
            fairness::app_share_bounds_a_claim,
            control::throttle_reservations_are_spaced,
            control::circuit_breaker_transitions,
            control::retry_after_pauses_the_endpoint,
            control::auto_disable_keeps_deliveries_and_reenable_resets,
            control::redrive_brings_the_probe_forward,
            dispatch::record_outcomes_transitions,
            dispatch::immediate_retry_wakes,
            dispatch::recover_and_resend,
            dispatch::reenabling_endpoint_wakes,
            lists::pagination_forward_and_backward,
            lists::pagination_while_appending,
            lists::message_filters,
            views::attempt_filters,
            views::delivery_views,
            admin::applications,
            admin::endpoints,
            admin::event_types,
            edits::concurrent_edits_all_survive,
            edits::edit_outcomes,
            edits::concurrent_app_edits_all_survive,
            edits::concurrent_event_type_edits_all_survive,
            lookups::id_match_wins_over_key_match,
            lookups::app_by_id_crosses_orgs_by_id_only,
            lifecycle::delete_app_cascades,
            lifecycle::delete_endpoint_keeps_history,
            lifecycle::endpoint_stats,
            depths::queue_depths_count_each_state,
            depths::endpoint_attempt_stats_by_window,
            idempotency::claim_then_replay,
            idempotency::expired_claim_is_taken_over_and_fenced,
            idempotency::abandoned_claim_is_free_at_once,
            idempotency::concurrent_begins_run_once,
            idempotency::purge_drops_old_keys_only,
            portal::portal_tokens,
            inbound::sources_crud,
            inbound::token_rotation_lookups,
            inbound::dedupe_is_atomic,
            inbound::dedupe_window_purge,
            inbound::content_key_dedupe_is_bounded_by_the_window,
            parity::tags_filter_messages_and_attempts,
            parity::deliver_at_delays_the_deliveries,
            parity::expunge_keeps_the_record_and_stops_sending,
            integrations::integrations_crud,
            retention::expiry_removes_only_due_payloads_in_batches,
            retention::pruning_removes_only_old_finished_rows_in_batches,
            tasks::tasks_crud_and_list,
            tasks::task_lease_is_fenced,
            tasks::task_actions,
            tasks::dead_letter_filters,
            tasks::replay_selection_matches_its_count,
            tasks::app_usage_counts,
            tasks::expunge_messages_in_one_write,
        );
    };
}
pub(crate) use every_test;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use sluice_core::ids;
use sluice_core::model::{
    Application, Attempt, Delivery, DeliveryStatus, Endpoint, Message, RetiredSecret, Trigger,
};
use sluice_core::queue::{ClaimRequest, Claimed};
use sluice_store::{Listed, Order, Page, Store};

/// The suite's organisation.
pub const ORG: &str = "org_conformance";
/// A fixed base time; tests move time by passing `now`.
pub const T0: i64 = 1_700_000_000_000;
/// Long enough that only a real hang trips it.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub type Dyn = Arc<dyn Store>;

pub fn app_row(t: i64) -> Application {
    Application {
        id: ids::new_id(ids::APP, t),
        org_id: ORG.into(),
        uid: None,
        name: "Acme".into(),
        throttle_rate: None,
        metadata: BTreeMap::from([("tier".to_string(), "gold".to_string())]),
        created_at: t,
        updated_at: t,
    }
}

pub fn endpoint_row(app_id: &str, t: i64) -> Endpoint {
    Endpoint {
        id: ids::new_id(ids::ENDPOINT, t),
        app_id: app_id.into(),
        uid: None,
        url: "https://example.com/hook".into(),
        description: String::new(),
        version: 1,
        disabled: false,
        event_types: None,
        channels: None,
        throttle_rate: None,
        metadata: BTreeMap::new(),
        headers: Vec::new(),
        secret: vec![1, 2, 3, 4],
        retired_secrets: vec![RetiredSecret {
            sealed: vec![9, 8, 7],
            expires_at: t + 1000,
        }],
        created_at: t,
        updated_at: t,
    }
}

pub fn message_row(app_id: &str, event_type: &str, t: i64) -> Message {
    Message {
        id: ids::new_id(ids::MESSAGE, t),
        app_id: app_id.into(),
        event_type: event_type.into(),
        event_id: None,
        channels: None,
        payload: r#"{"hello":"world"}"#.into(),
        inbound: None,
        tags: None,
        deliver_at: None,
        expunged_at: None,
        payload_expires_at: None,
        trace_context: None,
        created_at: t,
    }
}

pub fn attempt_row(c: &Claimed, code: i32, status: DeliveryStatus, t: i64) -> Attempt {
    Attempt {
        id: ids::new_id(ids::ATTEMPT, t),
        delivery_id: c.delivery.id.clone(),
        msg_id: c.delivery.msg_id.clone(),
        endpoint_id: c.delivery.endpoint_id.clone(),
        app_id: c.delivery.app_id.clone(),
        url: c.endpoint.url.clone(),
        response: "ok".into(),
        response_status_code: code,
        response_duration_ms: 12,
        status,
        trigger: Trigger::Scheduled,
        error_class: None,
        created_at: t,
    }
}

/// Creates and returns an application.
pub async fn new_app(s: &Dyn) -> Application {
    let app = app_row(T0);
    s.create_app(app.clone()).await.expect("create app");
    app
}

/// Creates an endpoint of `app_id` after `edit` and returns it.
pub async fn new_endpoint(s: &Dyn, app_id: &str, edit: impl FnOnce(&mut Endpoint)) -> Endpoint {
    let mut ep = endpoint_row(app_id, T0);
    edit(&mut ep);
    s.create_endpoint(ep.clone())
        .await
        .expect("create endpoint");
    ep
}

/// Publishes a message created at `t` (also `now`); returns it with its delivery count.
pub async fn publish(s: &Dyn, app_id: &str, event_type: &str, t: i64) -> (Message, usize) {
    let msg = message_row(app_id, event_type, t);
    let n = s
        .create_message(msg.clone(), None, t)
        .await
        .expect("create message");
    (msg, n)
}

pub fn page(limit: usize) -> Page {
    Page {
        limit,
        iterator: None,
        backwards: false,
        order: Order::Ascending,
    }
}

pub fn claim_req(now: i64, limit: usize, per_endpoint: usize) -> ClaimRequest {
    ClaimRequest {
        now,
        lease_ms: 30_000,
        limit,
        per_endpoint,
        exclude_endpoints: vec![],
        per_app: usize::MAX,
        app_room: Default::default(),
    }
}

/// Every delivery of a message, by endpoint id.
pub async fn deliveries_of(s: &Dyn, msg_id: &str) -> Vec<(Endpoint, Delivery)> {
    collect(|p| s.list_message_deliveries(msg_id, p)).await
}

/// Every delivery to an endpoint, by message id.
pub async fn deliveries_to(s: &Dyn, ep_id: &str) -> Vec<(Message, Delivery)> {
    collect(|p| s.list_endpoint_deliveries(ep_id, None, p)).await
}

/// Pages forward through a list to its end, checking that `has_more` is right.
pub async fn collect<T, F, Fut>(mut list: F) -> Vec<T>
where
    F: FnMut(Page) -> Fut,
    Fut: std::future::Future<Output = sluice_store::StoreResult<Listed<T>>>,
    T: Clone + KeyOf,
{
    let mut out: Vec<T> = Vec::new();
    let mut p = page(250);
    loop {
        let got = list(p.clone()).await.expect("list page");
        let has_more = got.has_more;
        if let Some(last) = got.items.last() {
            p.iterator = Some(last.key());
        }
        assert!(
            !has_more || !got.items.is_empty(),
            "has_more with an empty page"
        );
        out.extend(got.items);
        if !has_more {
            return out;
        }
    }
}

/// The pagination key of a listed item.
pub trait KeyOf {
    fn key(&self) -> String;
}

impl KeyOf for Message {
    fn key(&self) -> String {
        self.id.clone()
    }
}

impl KeyOf for (Message, Delivery) {
    fn key(&self) -> String {
        self.0.id.clone()
    }
}

impl KeyOf for (Endpoint, Delivery) {
    fn key(&self) -> String {
        self.0.id.clone()
    }
}

impl KeyOf for Attempt {
    fn key(&self) -> String {
        self.id.clone()
    }
}

/// Waits for the work signal; false if it did not come within `within`.
pub async fn signalled(s: &Dyn, within: Duration) -> bool {
    let notify = s.work_signal();
    tokio::time::timeout(within, notify.notified())
        .await
        .is_ok()
}

/// The delivery of `msg_id` to `ep_id`.
pub async fn delivery(s: &Dyn, msg_id: &str, ep_id: &str) -> Option<Delivery> {
    deliveries_of(s, msg_id)
        .await
        .into_iter()
        .find(|(e, _)| e.id == ep_id)
        .map(|(_, d)| d)
}
