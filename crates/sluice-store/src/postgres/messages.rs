//! Reading messages: by id or event id, and the filtered list. (Writing them, with their
//! fan-out into deliveries, is the ingest writer's.)

use sluice_core::model::Message;

use super::db::query_opt;
use super::page::ListQuery;
use super::queries::message;
use super::rows::message_at;
use super::PgStore;
use crate::{Listed, MessageFilter, Page, StoreResult};

pub(super) async fn get_message(
    s: &PgStore,
    app_id: &str,
    id_or_event_id: &str,
) -> StoreResult<Option<Message>> {
    let c = s.client().await?;
    query_opt(&c, &message::GET, &[&app_id, &id_or_event_id])
        .await?
        .map(|r| message_at(&r, 0))
        .transpose()
}

pub(super) async fn list_messages(
    s: &PgStore,
    app_id: &str,
    filter: MessageFilter,
    page: Page,
) -> StoreResult<Listed<Message>> {
    let c = s.client().await?;
    // With a tag, walk that tag's rows instead of every message.
    let (mut q, key) = match filter.tag {
        Some(tag) => {
            let mut q = ListQuery::new(&message::LIST_BY_TAG, app_id.to_string());
            let p = q.param(tag);
            q.and(&format!("mt.tag = {p}"));
            (q, "mt.msg_id")
        }
        None => (ListQuery::new(&message::LIST, app_id.to_string()), "m.id"),
    };
    if let Some(ch) = filter.channel {
        // `channels` holds a JSON array of strings; `?` is "has this element".
        let p = q.param(ch);
        q.and(&format!("m.channels::jsonb ? {p}"));
    }
    if let Some(types) = &filter.event_types {
        q.and_in("m.event_type", types);
    }
    q.and_time("m.created_at", filter.before, filter.after);
    q.fetch(&c, key, &page, |r| message_at(r, 0)).await
}
