//! `impl Store for SqliteStore`: routes writes to the writer and reads to the read pool.
//! Arguments are copied into owned values because both run on other threads.

use async_trait::async_trait;
use sluice_core::control::EndpointControl;
use sluice_core::model::{
    Application, Attempt, Delivery, DeliveryStatus, Endpoint, EventType, Integration, Message,
    Source,
};
use sluice_core::Millis;

use crate::commits::Op;

use super::{
    apps, attempts, endpoints, expunge, idempotency, integrations, messages, outcomes,
    portal_tokens, redrive, retention, sources, tasks, SqliteStore,
};
use crate::{
    AppEdit, AppUsage, AttemptFilter, CachedResponse, ClaimedTask, DeadLetter, DeadLetterFilter,
    EndpointEdit, EventTypeEdit, IdempotencyBegin, InboundAccepted, Listed, MessageFilter,
    MessageHead, Page, PortalToken, PrunedMessages, ReplaySelection, Store, StoreError,
    StoreResult, Task, TaskAction, TaskFilter, TaskStep, MAX_VALID_OLD_TOKENS,
};

#[async_trait]
impl Store for SqliteStore {
    async fn create_app(&self, app: Application) -> StoreResult<()> {
        self.write(move |c| apps::create_app(c, &app)).await
    }

    async fn get_app(&self, org_id: &str, id_or_uid: &str) -> StoreResult<Option<Application>> {
        let cache_key = (org_id.to_string(), id_or_uid.to_string());
        let miss = match self.apps.get(&cache_key) {
            Ok(app) => return Ok(Some(app)),
            Err(miss) => miss,
        };
        let (org, key) = (org_id.to_string(), id_or_uid.to_string());
        let found = self.read(move |c| apps::get_app(c, &org, &key)).await?;
        if let Some(app) = &found {
            self.apps.fill(miss, cache_key, app);
        }
        Ok(found)
    }

    async fn app_by_id(&self, app_id: &str) -> StoreResult<Option<Application>> {
        let id = app_id.to_string();
        self.read(move |c| apps::app_by_id(c, &id)).await
    }

    async fn list_apps(&self, org_id: &str, page: Page) -> StoreResult<Listed<Application>> {
        let org = org_id.to_string();
        self.read(move |c| apps::list_apps(c, &org, &page)).await
    }

    async fn update_app(&self, app: Application) -> StoreResult<()> {
        let id = app.id.clone();
        let write = self.write(move |c| apps::update_app(c, &app));
        self.apps.changing(&id, write).await
    }

    async fn edit_app(
        &self,
        org_id: &str,
        app_id: &str,
        edit: AppEdit,
    ) -> StoreResult<Application> {
        let (org, id) = (org_id.to_string(), app_id.to_string());
        let write = self.write(move |c| apps::edit_app(c, &org, &id, edit));
        self.apps.changing(app_id, write).await
    }

    async fn delete_app(&self, org_id: &str, app_id: &str) -> StoreResult<()> {
        let (org, app) = (org_id.to_string(), app_id.to_string());
        let write = self.write(move |c| apps::delete_app(c, &org, &app));
        self.apps.changing(app_id, write).await
    }

    async fn create_event_type(&self, et: EventType) -> StoreResult<()> {
        self.write(move |c| apps::create_event_type(c, &et)).await
    }

    async fn get_event_type(&self, org_id: &str, name: &str) -> StoreResult<Option<EventType>> {
        let (org, name) = (org_id.to_string(), name.to_string());
        self.read(move |c| apps::get_event_type(c, &org, &name))
            .await
    }

    async fn list_event_types(
        &self,
        org_id: &str,
        include_archived: bool,
        page: Page,
    ) -> StoreResult<Listed<EventType>> {
        let org = org_id.to_string();
        self.read(move |c| apps::list_event_types(c, &org, include_archived, &page))
            .await
    }

    async fn update_event_type(&self, et: EventType) -> StoreResult<()> {
        self.write(move |c| apps::update_event_type(c, &et)).await
    }

    async fn edit_event_type(
        &self,
        org_id: &str,
        name: &str,
        edit: EventTypeEdit,
    ) -> StoreResult<EventType> {
        let (org, name) = (org_id.to_string(), name.to_string());
        self.write(move |c| apps::edit_event_type(c, &org, &name, edit))
            .await
    }

    async fn delete_event_type(&self, org_id: &str, name: &str) -> StoreResult<()> {
        let (org, name) = (org_id.to_string(), name.to_string());
        self.write(move |c| apps::delete_event_type(c, &org, &name))
            .await
    }

    async fn create_endpoint(&self, ep: Endpoint) -> StoreResult<()> {
        self.write(move |c| endpoints::create_endpoint(c, &ep))
            .await
    }

    async fn get_endpoint(&self, app_id: &str, id_or_uid: &str) -> StoreResult<Option<Endpoint>> {
        let (app, key) = (app_id.to_string(), id_or_uid.to_string());
        self.read(move |c| endpoints::get_endpoint(c, &app, &key))
            .await
    }

    async fn list_endpoints(&self, app_id: &str, page: Page) -> StoreResult<Listed<Endpoint>> {
        let app = app_id.to_string();
        self.read(move |c| endpoints::list_endpoints(c, &app, &page))
            .await
    }

    async fn update_endpoint(&self, ep: Endpoint) -> StoreResult<()> {
        self.write_waking(move |c| Ok(((), endpoints::update_endpoint(c, &ep)?)))
            .await
    }

    async fn edit_endpoint(
        &self,
        app_id: &str,
        endpoint_id: &str,
        edit: EndpointEdit,
    ) -> StoreResult<Endpoint> {
        let (app, ep) = (app_id.to_string(), endpoint_id.to_string());
        self.write_waking(move |c| endpoints::edit_endpoint(c, &app, &ep, edit))
            .await
    }

    async fn endpoint_controls(
        &self,
        endpoint_ids: Vec<String>,
    ) -> StoreResult<std::collections::HashMap<String, EndpointControl>> {
        self.read(move |c| super::control::controls_of(c, &endpoint_ids))
            .await
    }

    async fn probe_circuit_now(&self, endpoint_id: &str, now: Millis) -> StoreResult<bool> {
        let id = endpoint_id.to_string();
        self.write_waking(move |c| {
            let moved = super::db::exec(
                c,
                &super::queries::endpoint_state::PROBE_NOW,
                rusqlite::params![id, now],
            )? > 0;
            Ok((moved, moved))
        })
        .await
    }

    async fn delete_endpoint(&self, app_id: &str, endpoint_id: &str) -> StoreResult<()> {
        let (app, ep) = (app_id.to_string(), endpoint_id.to_string());
        self.write(move |c| endpoints::delete_endpoint(c, &app, &ep))
            .await
    }

    async fn endpoint_stats(
        &self,
        endpoint_id: &str,
        since: Millis,
        until: Millis,
    ) -> StoreResult<Vec<(DeliveryStatus, u64)>> {
        let ep = endpoint_id.to_string();
        self.read(move |c| endpoints::endpoint_stats(c, &ep, since, until))
            .await
    }

    async fn endpoint_attempt_stats(
        &self,
        endpoint_id: &str,
        since: Millis,
        until: Millis,
    ) -> StoreResult<Vec<(DeliveryStatus, u64)>> {
        let ep = endpoint_id.to_string();
        self.read(move |c| super::depths::attempt_stats(c, &ep, since, until))
            .await
    }

    async fn create_message(
        &self,
        msg: Message,
        only_endpoint: Option<String>,
        now: Millis,
    ) -> StoreResult<usize> {
        self.write_tallied(Some((Op::Ingest, |_| 1)), move |c| {
            let n = messages::create_message(c, &msg, only_endpoint.as_deref(), now)?;
            Ok((n, n > 0))
        })
        .await
    }

    async fn get_message(
        &self,
        app_id: &str,
        id_or_event_id: &str,
    ) -> StoreResult<Option<Message>> {
        let (app, key) = (app_id.to_string(), id_or_event_id.to_string());
        self.read(move |c| messages::get_message(c, &app, &key))
            .await
    }

    async fn list_messages(
        &self,
        app_id: &str,
        filter: MessageFilter,
        page: Page,
    ) -> StoreResult<Listed<Message>> {
        let app = app_id.to_string();
        self.read(move |c| messages::list_messages(c, &app, &filter, &page))
            .await
    }

    async fn create_integration(&self, integ: Integration, key_hash: String) -> StoreResult<()> {
        self.write(move |c| integrations::create(c, &integ, &key_hash))
            .await
    }

    async fn get_integration(&self, app_id: &str, id: &str) -> StoreResult<Option<Integration>> {
        let (app, id) = (app_id.to_string(), id.to_string());
        self.read(move |c| integrations::get(c, &app, &id)).await
    }

    async fn list_integrations(
        &self,
        app_id: &str,
        page: Page,
    ) -> StoreResult<Listed<Integration>> {
        let app = app_id.to_string();
        self.read(move |c| integrations::list(c, &app, &page)).await
    }

    async fn update_integration(&self, integ: Integration) -> StoreResult<()> {
        self.write(move |c| integrations::update(c, &integ)).await
    }

    async fn delete_integration(&self, app_id: &str, id: &str) -> StoreResult<()> {
        let (app, id) = (app_id.to_string(), id.to_string());
        self.write(move |c| integrations::delete(c, &app, &id))
            .await
    }

    async fn rotate_integration_key(
        &self,
        app_id: &str,
        id: &str,
        sealed_key: Vec<u8>,
        key_hash: String,
        now: Millis,
    ) -> StoreResult<()> {
        let (app, id) = (app_id.to_string(), id.to_string());
        self.write(move |c| integrations::rotate_key(c, &app, &id, &sealed_key, &key_hash, now))
            .await
    }

    async fn expunge_message_content(
        &self,
        app_id: &str,
        msg_id: &str,
        now: Millis,
    ) -> StoreResult<()> {
        let (app, msg) = (app_id.to_string(), msg_id.to_string());
        self.write(move |c| expunge::expunge_message(c, &app, &msg, now))
            .await?;
        self.purge_wal().await;
        Ok(())
    }

    async fn expunge_messages_content(
        &self,
        app_id: &str,
        msg_ids: Vec<String>,
        now: Millis,
    ) -> StoreResult<u64> {
        let app = app_id.to_string();
        let n = self
            .write(move |c| tasks::expunge_batch(c, &app, &msg_ids, now))
            .await?;
        if n > 0 {
            self.purge_wal().await;
        }
        Ok(n)
    }

    async fn expire_payloads(&self, now: Millis, limit: usize) -> StoreResult<u64> {
        let n = self
            .write(move |c| retention::expire_payloads(c, now, limit))
            .await?;
        if n > 0 {
            self.purge_wal().await;
        }
        Ok(n)
    }

    async fn prune_attempts(&self, before: Millis, limit: usize) -> StoreResult<u64> {
        self.write(move |c| retention::prune_attempts(c, before, limit))
            .await
    }

    async fn prune_messages(
        &self,
        before: Millis,
        after: &str,
        limit: usize,
    ) -> StoreResult<PrunedMessages> {
        let after = after.to_string();
        self.write(move |c| retention::prune_messages(c, before, &after, limit))
            .await
    }

    async fn expunge_attempt_content(
        &self,
        app_id: &str,
        msg_id: &str,
        attempt_id: &str,
    ) -> StoreResult<()> {
        let (app, msg, attempt) = (
            app_id.to_string(),
            msg_id.to_string(),
            attempt_id.to_string(),
        );
        self.write(move |c| expunge::expunge_attempt(c, &app, &msg, &attempt))
            .await?;
        self.purge_wal().await;
        Ok(())
    }

    async fn list_attempts(
        &self,
        filter: AttemptFilter,
        page: Page,
    ) -> StoreResult<Listed<Attempt>> {
        self.read(move |c| attempts::list_attempts(c, &filter, &page))
            .await
    }

    async fn get_attempt(
        &self,
        app_id: &str,
        msg_id: &str,
        attempt_id: &str,
    ) -> StoreResult<Option<Attempt>> {
        let (app, msg, id) = (
            app_id.to_string(),
            msg_id.to_string(),
            attempt_id.to_string(),
        );
        self.read(move |c| attempts::get_attempt(c, &app, &msg, &id))
            .await
    }

    async fn list_endpoint_deliveries(
        &self,
        endpoint_id: &str,
        status: Option<DeliveryStatus>,
        page: Page,
    ) -> StoreResult<Listed<(Message, Delivery)>> {
        let ep = endpoint_id.to_string();
        self.read(move |c| attempts::list_endpoint_deliveries(c, &ep, status, &page))
            .await
    }

    async fn list_message_deliveries(
        &self,
        msg_id: &str,
        page: Page,
    ) -> StoreResult<Listed<(Endpoint, Delivery)>> {
        let msg = msg_id.to_string();
        self.read(move |c| attempts::list_message_deliveries(c, &msg, &page))
            .await
    }

    async fn resend(&self, msg_id: &str, endpoint_id: &str, now: Millis) -> StoreResult<()> {
        let (msg, ep) = (msg_id.to_string(), endpoint_id.to_string());
        self.write_waking(move |c| Ok(((), outcomes::resend(c, &msg, &ep, now)?)))
            .await
    }

    async fn recover_endpoint(
        &self,
        endpoint_id: &str,
        since: Millis,
        until: Millis,
        now: Millis,
    ) -> StoreResult<u64> {
        let ep = endpoint_id.to_string();
        self.write_waking(move |c| {
            let n = outcomes::recover_endpoint(c, &ep, since, until, now)?;
            Ok((n, n > 0))
        })
        .await
    }

    async fn list_dead_letters(
        &self,
        filter: DeadLetterFilter,
        page: Page,
    ) -> StoreResult<Listed<DeadLetter>> {
        self.read(move |c| redrive::list_dead_letters(c, &filter, &page))
            .await
    }

    async fn list_replayable(
        &self,
        endpoint_id: &str,
        sel: ReplaySelection,
        after: Option<String>,
        limit: usize,
    ) -> StoreResult<Vec<(String, String)>> {
        let ep = endpoint_id.to_string();
        self.read(move |c| redrive::list_replayable(c, &ep, &sel, after, limit))
            .await
    }

    async fn count_replayable(&self, endpoint_id: &str, sel: ReplaySelection) -> StoreResult<u64> {
        let ep = endpoint_id.to_string();
        self.read(move |c| redrive::count_replayable(c, &ep, &sel))
            .await
    }

    async fn list_message_heads(
        &self,
        app_id: &str,
        since: Millis,
        until: Millis,
        after: Option<String>,
        limit: usize,
    ) -> StoreResult<Vec<MessageHead>> {
        let app = app_id.to_string();
        self.read(move |c| redrive::list_message_heads(c, &app, since, until, after, limit))
            .await
    }

    async fn app_usage(&self, app_id: &str, since: Millis, until: Millis) -> StoreResult<AppUsage> {
        let app = app_id.to_string();
        self.read(move |c| redrive::app_usage(c, &app, since, until))
            .await
    }

    async fn create_task(&self, task: Task) -> StoreResult<()> {
        self.write(move |c| tasks::create_task(c, &task)).await
    }

    async fn get_task(&self, org_id: &str, id: &str) -> StoreResult<Option<Task>> {
        let (org, id) = (org_id.to_string(), id.to_string());
        self.read(move |c| tasks::get_task(c, &org, &id)).await
    }

    async fn list_tasks(
        &self,
        org_id: &str,
        filter: TaskFilter,
        page: Page,
    ) -> StoreResult<Listed<Task>> {
        let org = org_id.to_string();
        self.read(move |c| tasks::list_tasks(c, &org, &filter, &page))
            .await
    }

    async fn claim_task(
        &self,
        holder: &str,
        now: Millis,
        lease_ms: Millis,
    ) -> StoreResult<Option<ClaimedTask>> {
        let holder = holder.to_string();
        self.write(move |c| tasks::claim_task(c, &holder, now, lease_ms))
            .await
    }

    async fn advance_task(
        &self,
        step: TaskStep,
        now: Millis,
        lease_ms: Millis,
    ) -> StoreResult<Option<u64>> {
        let expunges = matches!(step.action, TaskAction::Expunge { .. });
        let done = self
            .write_waking(move |c| {
                Ok(match tasks::advance_task(c, step, now, lease_ms)? {
                    Some((n, due)) => (Some(n), due),
                    None => (None, false),
                })
            })
            .await?;
        // Once per batch, not per message: the expensive part of an expunge.
        if expunges && done.is_some_and(|n| n > 0) {
            self.purge_wal().await;
        }
        Ok(done)
    }

    async fn purge_tasks(&self, ended_before: Millis) -> StoreResult<u64> {
        self.write(move |c| tasks::purge_tasks(c, ended_before))
            .await
    }

    async fn create_source(
        &self,
        app: Application,
        source: Source,
        token_hash: String,
    ) -> StoreResult<()> {
        self.write(move |c| sources::create_source(c, &app, &source, &token_hash))
            .await
    }

    async fn get_source(&self, org_id: &str, id_or_uid: &str) -> StoreResult<Option<Source>> {
        let (org, key) = (org_id.to_string(), id_or_uid.to_string());
        self.read(move |c| sources::get_source(c, &org, &key)).await
    }

    async fn list_sources(&self, org_id: &str, page: Page) -> StoreResult<Listed<Source>> {
        let org = org_id.to_string();
        self.read(move |c| sources::list_sources(c, &org, &page))
            .await
    }

    async fn sources_of_kind(&self, kind: &str) -> StoreResult<Vec<Source>> {
        let kind = kind.to_string();
        self.read(move |c| sources::sources_of_kind(c, &kind)).await
    }

    async fn update_source(&self, source: Source) -> StoreResult<()> {
        let id = source.id.clone();
        let write = self.write(move |c| sources::update_source(c, &source));
        self.tokens.changing(&id, write).await
    }

    async fn delete_source(&self, org_id: &str, source_id: &str) -> StoreResult<()> {
        let org = org_id.to_string();
        let src = self
            .get_source(org_id, source_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let (app_id, id) = (src.app_id.clone(), src.id.clone());
        let write = self.write(move |c| sources::delete_source(c, &org, &src));
        let write = self.apps.changing(&app_id, write);
        self.tokens.changing(&id, write).await
    }

    async fn rotate_source_token(
        &self,
        source_id: &str,
        sealed_token: Vec<u8>,
        token_hash: String,
        old_expires_at: Millis,
        now: Millis,
    ) -> StoreResult<()> {
        let id = source_id.to_string();
        let write = self.write(move |c| {
            sources::rotate_token(
                c,
                &id,
                &sealed_token,
                &token_hash,
                old_expires_at,
                now,
                MAX_VALID_OLD_TOKENS,
            )
        });
        self.tokens.changing(source_id, write).await
    }

    async fn source_by_token(&self, token_hash: &str, now: Millis) -> StoreResult<Option<Source>> {
        let valid =
            |e: sources::TokenEntry| e.expires_at.is_none_or(|t| t > now).then_some(e.source);
        let key = token_hash.to_string();
        let miss = match self.tokens.get(&key) {
            Ok(entry) => return Ok(valid(entry)),
            Err(miss) => miss,
        };
        let hash = key.clone();
        let found = self
            .read(move |c| sources::source_by_token(c, &hash))
            .await?;
        match found {
            Some(entry) => {
                self.tokens.fill(miss, key, &entry);
                Ok(valid(entry))
            }
            None => Ok(None),
        }
    }

    async fn create_inbound_message(
        &self,
        source_id: &str,
        msg: Message,
        dedupe_key: Option<String>,
        now: Millis,
    ) -> StoreResult<InboundAccepted> {
        let source = source_id.to_string();
        self.write_tallied(Some((Op::Ingest, |_| 1)), move |c| {
            let done =
                sources::create_inbound_message(c, &source, &msg, dedupe_key.as_deref(), now)?;
            let wake = matches!(done, InboundAccepted::Created { deliveries } if deliveries > 0);
            Ok((done, wake))
        })
        .await
    }

    async fn purge_inbound(&self, dedupe_before: Millis, now: Millis) -> StoreResult<u64> {
        self.write(move |c| sources::purge(c, dedupe_before, now))
            .await
    }

    async fn idempotency_begin(
        &self,
        key: &str,
        now: Millis,
        lease_ms: Millis,
    ) -> StoreResult<IdempotencyBegin> {
        // Replays and waiting duplicates are answered by a reader; only a free key costs a
        // write (which decides again, since the key may have changed in between).
        let k = key.to_string();
        if let Some(found) = self.read(move |c| idempotency::peek(c, &k, now)).await? {
            return Ok(found);
        }
        let k = key.to_string();
        self.write(move |c| idempotency::begin(c, &k, now, lease_ms))
            .await
    }

    async fn idempotency_renew(
        &self,
        key: &str,
        token: i64,
        now: Millis,
        lease_ms: Millis,
    ) -> StoreResult<bool> {
        let key = key.to_string();
        self.write(move |c| idempotency::renew(c, &key, token, now, lease_ms))
            .await
    }

    async fn idempotency_finish(
        &self,
        key: &str,
        token: i64,
        resp: CachedResponse,
        now: Millis,
    ) -> StoreResult<bool> {
        let key = key.to_string();
        self.write(move |c| idempotency::finish(c, &key, token, &resp, now))
            .await
    }

    async fn idempotency_abandon(&self, key: &str, token: i64) -> StoreResult<()> {
        let key = key.to_string();
        self.write(move |c| idempotency::abandon(c, &key, token))
            .await
    }

    async fn idempotency_purge(&self, before: Millis) -> StoreResult<u64> {
        self.write(move |c| idempotency::purge(c, before)).await
    }

    async fn create_portal_token(&self, token: PortalToken) -> StoreResult<()> {
        self.write(move |c| portal_tokens::create(c, &token)).await
    }

    async fn portal_token(&self, id: &str) -> StoreResult<Option<PortalToken>> {
        let id = id.to_string();
        self.read(move |c| portal_tokens::get(c, &id)).await
    }

    async fn revoke_portal_token(&self, id: &str, at: Millis) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |c| portal_tokens::revoke(c, &id, at)).await
    }

    async fn expire_portal_tokens(
        &self,
        app_id: &str,
        session_ids: Option<Vec<String>>,
        at: Millis,
        now: Millis,
    ) -> StoreResult<u64> {
        let app = app_id.to_string();
        self.write(move |c| portal_tokens::expire(c, &app, session_ids.as_deref(), at, now))
            .await
    }

    async fn purge_portal_tokens(&self, now: Millis) -> StoreResult<u64> {
        self.write(move |c| portal_tokens::purge(c, now)).await
    }

    async fn queue_depths(&self, now: Millis) -> StoreResult<crate::QueueDepths> {
        self.read(move |c| super::depths::queue_depths(c, now))
            .await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| {
            super::db::query_opt(c, &super::queries::health::PING, [], |r| r.get::<_, i64>(0))
                .map(|_| ())
        })
        .await
    }

    async fn try_lead(
        &self,
        _job: &str,
        _holder: &str,
        _now: Millis,
        _ttl_ms: Millis,
    ) -> StoreResult<bool> {
        // The file lock makes this process the only one: it leads every job.
        Ok(true)
    }
}
