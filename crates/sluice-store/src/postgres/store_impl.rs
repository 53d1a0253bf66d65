//! `impl Store for PgStore`: each method is one call into the module of its area.

use async_trait::async_trait;
use sluice_core::control::EndpointControl;
use sluice_core::model::{
    Application, Attempt, Delivery, DeliveryStatus, Endpoint, EventType, Integration, Message,
    Source,
};
use sluice_core::Millis;

use super::{
    apps, db, endpoints, event_types, expunge, idempotency, ingest, integrations, jobs, messages,
    outcomes, portal_tokens, queries, redrive, retention, sources, tasks, views, PgStore,
};
use crate::{
    AppEdit, AppUsage, AttemptFilter, CachedResponse, ClaimedTask, DeadLetter, DeadLetterFilter,
    EndpointEdit, EventTypeEdit, IdempotencyBegin, InboundAccepted, Listed, MessageFilter,
    MessageHead, Page, PortalToken, PrunedMessages, ReplaySelection, Store, StoreResult, Task,
    TaskFilter, TaskStep,
};

#[async_trait]
impl Store for PgStore {
    async fn create_app(&self, app: Application) -> StoreResult<()> {
        apps::create_app(self, app).await
    }

    async fn get_app(&self, org_id: &str, id_or_uid: &str) -> StoreResult<Option<Application>> {
        apps::get_app(self, org_id, id_or_uid).await
    }

    async fn app_by_id(&self, app_id: &str) -> StoreResult<Option<Application>> {
        apps::app_by_id(self, app_id).await
    }

    async fn list_apps(&self, org_id: &str, page: Page) -> StoreResult<Listed<Application>> {
        apps::list_apps(self, org_id, page).await
    }

    async fn update_app(&self, app: Application) -> StoreResult<()> {
        apps::update_app(self, app).await
    }

    async fn edit_app(
        &self,
        org_id: &str,
        app_id: &str,
        edit: AppEdit,
    ) -> StoreResult<Application> {
        apps::edit_app(self, org_id, app_id, edit).await
    }

    async fn delete_app(&self, org_id: &str, app_id: &str) -> StoreResult<()> {
        apps::delete_app(self, org_id, app_id).await
    }

    async fn create_event_type(&self, et: EventType) -> StoreResult<()> {
        event_types::create_event_type(self, et).await
    }

    async fn get_event_type(&self, org_id: &str, name: &str) -> StoreResult<Option<EventType>> {
        event_types::get_event_type(self, org_id, name).await
    }

    async fn list_event_types(
        &self,
        org_id: &str,
        include_archived: bool,
        page: Page,
    ) -> StoreResult<Listed<EventType>> {
        event_types::list_event_types(self, org_id, include_archived, page).await
    }

    async fn update_event_type(&self, et: EventType) -> StoreResult<()> {
        event_types::update_event_type(self, et).await
    }

    async fn edit_event_type(
        &self,
        org_id: &str,
        name: &str,
        edit: EventTypeEdit,
    ) -> StoreResult<EventType> {
        event_types::edit_event_type(self, org_id, name, edit).await
    }

    async fn delete_event_type(&self, org_id: &str, name: &str) -> StoreResult<()> {
        event_types::delete_event_type(self, org_id, name).await
    }

    async fn create_endpoint(&self, ep: Endpoint) -> StoreResult<()> {
        endpoints::create_endpoint(self, ep).await
    }

    async fn get_endpoint(&self, app_id: &str, id_or_uid: &str) -> StoreResult<Option<Endpoint>> {
        endpoints::get_endpoint(self, app_id, id_or_uid).await
    }

    async fn list_endpoints(&self, app_id: &str, page: Page) -> StoreResult<Listed<Endpoint>> {
        endpoints::list_endpoints(self, app_id, page).await
    }

    async fn update_endpoint(&self, ep: Endpoint) -> StoreResult<()> {
        endpoints::update_endpoint(self, ep).await
    }

    async fn edit_endpoint(
        &self,
        app_id: &str,
        endpoint_id: &str,
        edit: EndpointEdit,
    ) -> StoreResult<Endpoint> {
        endpoints::edit_endpoint(self, app_id, endpoint_id, edit).await
    }

    async fn endpoint_controls(
        &self,
        endpoint_ids: Vec<String>,
    ) -> StoreResult<std::collections::HashMap<String, EndpointControl>> {
        endpoints::endpoint_controls(self, &endpoint_ids).await
    }

    async fn probe_circuit_now(&self, endpoint_id: &str, now: Millis) -> StoreResult<bool> {
        let c = self.client().await?;
        let moved = db::exec(
            &c,
            &queries::endpoint_state::PROBE_NOW,
            &[&endpoint_id, &now],
        )
        .await?
            > 0;
        if moved {
            self.committed_work();
        }
        Ok(moved)
    }

    async fn delete_endpoint(&self, app_id: &str, endpoint_id: &str) -> StoreResult<()> {
        endpoints::delete_endpoint(self, app_id, endpoint_id).await
    }

    async fn endpoint_stats(
        &self,
        endpoint_id: &str,
        since: Millis,
        until: Millis,
    ) -> StoreResult<Vec<(DeliveryStatus, u64)>> {
        endpoints::endpoint_stats(self, endpoint_id, since, until).await
    }

    async fn endpoint_attempt_stats(
        &self,
        endpoint_id: &str,
        since: Millis,
        until: Millis,
    ) -> StoreResult<Vec<(DeliveryStatus, u64)>> {
        super::depths::attempt_stats(self, endpoint_id, since, until).await
    }

    async fn create_integration(&self, integ: Integration, key_hash: String) -> StoreResult<()> {
        integrations::create_integration(self, integ, key_hash).await
    }

    async fn get_integration(&self, app_id: &str, id: &str) -> StoreResult<Option<Integration>> {
        integrations::get_integration(self, app_id, id).await
    }

    async fn list_integrations(
        &self,
        app_id: &str,
        page: Page,
    ) -> StoreResult<Listed<Integration>> {
        integrations::list_integrations(self, app_id, page).await
    }

    async fn update_integration(&self, integ: Integration) -> StoreResult<()> {
        integrations::update_integration(self, integ).await
    }

    async fn delete_integration(&self, app_id: &str, id: &str) -> StoreResult<()> {
        integrations::delete_integration(self, app_id, id).await
    }

    async fn rotate_integration_key(
        &self,
        app_id: &str,
        id: &str,
        sealed_key: Vec<u8>,
        key_hash: String,
        now: Millis,
    ) -> StoreResult<()> {
        integrations::rotate_integration_key(self, app_id, id, sealed_key, key_hash, now).await
    }

    async fn create_message(
        &self,
        msg: Message,
        only_endpoint: Option<String>,
        now: Millis,
    ) -> StoreResult<usize> {
        ingest::create_message(self, msg, only_endpoint, now).await
    }

    async fn get_message(
        &self,
        app_id: &str,
        id_or_event_id: &str,
    ) -> StoreResult<Option<Message>> {
        messages::get_message(self, app_id, id_or_event_id).await
    }

    async fn list_messages(
        &self,
        app_id: &str,
        filter: MessageFilter,
        page: Page,
    ) -> StoreResult<Listed<Message>> {
        messages::list_messages(self, app_id, filter, page).await
    }

    async fn expunge_message_content(
        &self,
        app_id: &str,
        msg_id: &str,
        now: Millis,
    ) -> StoreResult<()> {
        expunge::expunge_message_content(self, app_id, msg_id, now).await
    }

    async fn expire_payloads(&self, now: Millis, limit: usize) -> StoreResult<u64> {
        retention::expire_payloads(self, now, limit).await
    }

    async fn prune_attempts(&self, before: Millis, limit: usize) -> StoreResult<u64> {
        retention::prune_attempts(self, before, limit).await
    }

    async fn prune_messages(
        &self,
        before: Millis,
        after: &str,
        limit: usize,
    ) -> StoreResult<PrunedMessages> {
        retention::prune_messages(self, before, after, limit).await
    }

    async fn expunge_messages_content(
        &self,
        app_id: &str,
        msg_ids: Vec<String>,
        now: Millis,
    ) -> StoreResult<u64> {
        tasks::expunge_messages(self, app_id, &msg_ids, now).await
    }

    async fn expunge_attempt_content(
        &self,
        app_id: &str,
        msg_id: &str,
        attempt_id: &str,
    ) -> StoreResult<()> {
        expunge::expunge_attempt_content(self, app_id, msg_id, attempt_id).await
    }

    async fn list_attempts(
        &self,
        filter: AttemptFilter,
        page: Page,
    ) -> StoreResult<Listed<Attempt>> {
        views::list_attempts(self, filter, page).await
    }

    async fn get_attempt(
        &self,
        app_id: &str,
        msg_id: &str,
        attempt_id: &str,
    ) -> StoreResult<Option<Attempt>> {
        views::get_attempt(self, app_id, msg_id, attempt_id).await
    }

    async fn list_endpoint_deliveries(
        &self,
        endpoint_id: &str,
        status: Option<DeliveryStatus>,
        page: Page,
    ) -> StoreResult<Listed<(Message, Delivery)>> {
        views::list_endpoint_deliveries(self, endpoint_id, status, page).await
    }

    async fn list_message_deliveries(
        &self,
        msg_id: &str,
        page: Page,
    ) -> StoreResult<Listed<(Endpoint, Delivery)>> {
        views::list_message_deliveries(self, msg_id, page).await
    }

    async fn resend(&self, msg_id: &str, endpoint_id: &str, now: Millis) -> StoreResult<()> {
        outcomes::resend(self, msg_id, endpoint_id, now).await
    }

    async fn recover_endpoint(
        &self,
        endpoint_id: &str,
        since: Millis,
        until: Millis,
        now: Millis,
    ) -> StoreResult<u64> {
        outcomes::recover_endpoint(self, endpoint_id, since, until, now).await
    }

    async fn list_dead_letters(
        &self,
        filter: DeadLetterFilter,
        page: Page,
    ) -> StoreResult<Listed<DeadLetter>> {
        redrive::list_dead_letters(self, filter, page).await
    }

    async fn list_replayable(
        &self,
        endpoint_id: &str,
        sel: ReplaySelection,
        after: Option<String>,
        limit: usize,
    ) -> StoreResult<Vec<(String, String)>> {
        redrive::list_replayable(self, endpoint_id, sel, after, limit).await
    }

    async fn count_replayable(&self, endpoint_id: &str, sel: ReplaySelection) -> StoreResult<u64> {
        redrive::count_replayable(self, endpoint_id, sel).await
    }

    async fn list_message_heads(
        &self,
        app_id: &str,
        since: Millis,
        until: Millis,
        after: Option<String>,
        limit: usize,
    ) -> StoreResult<Vec<MessageHead>> {
        redrive::list_message_heads(self, app_id, since, until, after, limit).await
    }

    async fn app_usage(&self, app_id: &str, since: Millis, until: Millis) -> StoreResult<AppUsage> {
        redrive::app_usage(self, app_id, since, until).await
    }

    async fn create_task(&self, task: Task) -> StoreResult<()> {
        tasks::create_task(self, &task).await
    }

    async fn get_task(&self, org_id: &str, id: &str) -> StoreResult<Option<Task>> {
        tasks::get_task(self, org_id, id).await
    }

    async fn list_tasks(
        &self,
        org_id: &str,
        filter: TaskFilter,
        page: Page,
    ) -> StoreResult<Listed<Task>> {
        tasks::list_tasks(self, org_id, filter, page).await
    }

    async fn claim_task(
        &self,
        holder: &str,
        now: Millis,
        lease_ms: Millis,
    ) -> StoreResult<Option<ClaimedTask>> {
        tasks::claim_task(self, holder, now, lease_ms).await
    }

    async fn advance_task(
        &self,
        step: TaskStep,
        now: Millis,
        lease_ms: Millis,
    ) -> StoreResult<Option<u64>> {
        tasks::advance_task(self, step, now, lease_ms).await
    }

    async fn purge_tasks(&self, ended_before: Millis) -> StoreResult<u64> {
        tasks::purge_tasks(self, ended_before).await
    }

    async fn create_source(
        &self,
        app: Application,
        source: Source,
        token_hash: String,
    ) -> StoreResult<()> {
        sources::create_source(self, app, source, token_hash).await
    }

    async fn get_source(&self, org_id: &str, id_or_uid: &str) -> StoreResult<Option<Source>> {
        sources::get_source(self, org_id, id_or_uid).await
    }

    async fn list_sources(&self, org_id: &str, page: Page) -> StoreResult<Listed<Source>> {
        sources::list_sources(self, org_id, page).await
    }

    async fn sources_of_kind(&self, kind: &str) -> StoreResult<Vec<Source>> {
        sources::sources_of_kind(self, kind).await
    }

    async fn update_source(&self, source: Source) -> StoreResult<()> {
        sources::update_source(self, source).await
    }

    async fn delete_source(&self, org_id: &str, source_id: &str) -> StoreResult<()> {
        sources::delete_source(self, org_id, source_id).await
    }

    async fn rotate_source_token(
        &self,
        source_id: &str,
        sealed_token: Vec<u8>,
        token_hash: String,
        old_expires_at: Millis,
        now: Millis,
    ) -> StoreResult<()> {
        sources::rotate_source_token(
            self,
            source_id,
            sealed_token,
            token_hash,
            old_expires_at,
            now,
        )
        .await
    }

    async fn source_by_token(&self, token_hash: &str, now: Millis) -> StoreResult<Option<Source>> {
        sources::source_by_token(self, token_hash, now).await
    }

    async fn create_inbound_message(
        &self,
        source_id: &str,
        msg: Message,
        dedupe_key: Option<String>,
        now: Millis,
    ) -> StoreResult<InboundAccepted> {
        ingest::create_inbound_message(self, source_id, msg, dedupe_key, now).await
    }

    async fn purge_inbound(&self, dedupe_before: Millis, now: Millis) -> StoreResult<u64> {
        sources::purge_inbound(self, dedupe_before, now).await
    }

    async fn idempotency_begin(
        &self,
        key: &str,
        now: Millis,
        lease_ms: Millis,
    ) -> StoreResult<IdempotencyBegin> {
        idempotency::idempotency_begin(self, key, now, lease_ms).await
    }

    async fn idempotency_renew(
        &self,
        key: &str,
        token: i64,
        now: Millis,
        lease_ms: Millis,
    ) -> StoreResult<bool> {
        idempotency::idempotency_renew(self, key, token, now, lease_ms).await
    }

    async fn idempotency_finish(
        &self,
        key: &str,
        token: i64,
        resp: CachedResponse,
        now: Millis,
    ) -> StoreResult<bool> {
        idempotency::idempotency_finish(self, key, token, resp, now).await
    }

    async fn idempotency_abandon(&self, key: &str, token: i64) -> StoreResult<()> {
        idempotency::idempotency_abandon(self, key, token).await
    }

    async fn idempotency_purge(&self, before: Millis) -> StoreResult<u64> {
        idempotency::idempotency_purge(self, before).await
    }

    async fn create_portal_token(&self, token: PortalToken) -> StoreResult<()> {
        portal_tokens::create_portal_token(self, token).await
    }

    async fn portal_token(&self, id: &str) -> StoreResult<Option<PortalToken>> {
        portal_tokens::portal_token(self, id).await
    }

    async fn revoke_portal_token(&self, id: &str, at: Millis) -> StoreResult<()> {
        portal_tokens::revoke_portal_token(self, id, at).await
    }

    async fn expire_portal_tokens(
        &self,
        app_id: &str,
        session_ids: Option<Vec<String>>,
        at: Millis,
        now: Millis,
    ) -> StoreResult<u64> {
        portal_tokens::expire_portal_tokens(self, app_id, session_ids, at, now).await
    }

    async fn purge_portal_tokens(&self, now: Millis) -> StoreResult<u64> {
        portal_tokens::purge_portal_tokens(self, now).await
    }

    async fn queue_depths(&self, now: Millis) -> StoreResult<crate::QueueDepths> {
        super::depths::queue_depths(self, now).await
    }

    async fn ping(&self) -> StoreResult<()> {
        let c = self.client().await?;
        db::exec(&c, &queries::health::PING, &[]).await.map(|_| ())
    }

    async fn try_lead(
        &self,
        job: &str,
        holder: &str,
        now: Millis,
        ttl_ms: Millis,
    ) -> StoreResult<bool> {
        jobs::try_lead(self, job, holder, now, ttl_ms).await
    }
}
