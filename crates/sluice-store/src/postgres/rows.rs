//! Row mappers, column lists and the conversions between models and stored values, as in
//! the SQLite backend (`sqlite/rows.rs`): the same column lists in the same order, so a
//! statement reads like its SQLite twin. JSON-ish fields are TEXT written by serde_json.

use serde::de::DeserializeOwned;
use sluice_core::model::{
    Application, Attempt, Delivery, DeliveryStatus, Endpoint, EventType, InboundMeta, Integration,
    Message, RetiredSecret, Source, Trigger,
};
use tokio_postgres::Row;

use crate::StoreError;

pub(crate) use super::errors::{backend, pg};

use crate::stored::RetiredRow;
pub(crate) use crate::stored::{opt_json, retired_json, to_json};

/// A column of a row, or a `Backend` error naming it.
pub(crate) fn col<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    idx: usize,
) -> Result<T, StoreError> {
    row.try_get(idx).map_err(pg)
}

fn json_col<T: DeserializeOwned>(row: &Row, idx: usize) -> Result<T, StoreError> {
    let text: String = col(row, idx)?;
    serde_json::from_str(&text).map_err(backend)
}

pub(crate) fn opt_json_col<T: DeserializeOwned>(
    row: &Row,
    idx: usize,
) -> Result<Option<T>, StoreError> {
    let text: Option<String> = col(row, idx)?;
    text.map(|t| serde_json::from_str(&t).map_err(backend))
        .transpose()
}

fn status_col(row: &Row, idx: usize) -> Result<DeliveryStatus, StoreError> {
    let v: i32 = col(row, idx)?;
    DeliveryStatus::from_i64(v.into())
        .ok_or_else(|| StoreError::backend(format!("unknown delivery status {v}")))
}

fn trigger_col(row: &Row, idx: usize) -> Result<Trigger, StoreError> {
    let v: i32 = col(row, idx)?;
    Ok(Trigger::from_i64(v.into()))
}

fn u32_col(row: &Row, idx: usize) -> Result<u32, StoreError> {
    let v: i32 = col(row, idx)?;
    u32::try_from(v).map_err(backend)
}

fn opt_u32_col(row: &Row, idx: usize) -> Result<Option<u32>, StoreError> {
    let v: Option<i64> = col(row, idx)?;
    v.map(|v| u32::try_from(v).map_err(backend)).transpose()
}

/// An optional `u32` as stored (BIGINT).
pub(crate) fn opt_u32(v: Option<u32>) -> Option<i64> {
    v.map(i64::from)
}

/// Columns of [`application_at`], table alias `a`.
pub(crate) const APP_COLS: &str =
    "a.id, a.org_id, a.uid, a.name, a.throttle_rate, a.metadata, a.created_at, a.updated_at";

/// An application from `APP_COLS` starting at column `b`.
pub(crate) fn application_at(row: &Row, b: usize) -> Result<Application, StoreError> {
    Ok(Application {
        id: col(row, b)?,
        org_id: col(row, b + 1)?,
        uid: col(row, b + 2)?,
        name: col(row, b + 3)?,
        throttle_rate: opt_u32_col(row, b + 4)?,
        metadata: json_col(row, b + 5)?,
        created_at: col(row, b + 6)?,
        updated_at: col(row, b + 7)?,
    })
}

/// Columns of [`event_type_at`], table alias `et`.
pub(crate) const EVENT_TYPE_COLS: &str = "et.org_id, et.name, et.description, et.schemas, \
     et.archived, et.deprecated, et.feature_flag, et.created_at, et.updated_at";

/// An event type from `EVENT_TYPE_COLS` starting at column `b`.
pub(crate) fn event_type_at(row: &Row, b: usize) -> Result<EventType, StoreError> {
    Ok(EventType {
        org_id: col(row, b)?,
        name: col(row, b + 1)?,
        description: col(row, b + 2)?,
        schemas: opt_json_col(row, b + 3)?,
        archived: col(row, b + 4)?,
        deprecated: col(row, b + 5)?,
        feature_flag: col(row, b + 6)?,
        created_at: col(row, b + 7)?,
        updated_at: col(row, b + 8)?,
    })
}

/// Columns of [`endpoint_at`], table alias `e`.
pub(crate) const ENDPOINT_COLS: &str = "e.id, e.app_id, e.uid, e.url, e.description, e.version, \
     e.disabled, e.event_types, e.channels, e.throttle_rate, e.metadata, e.headers, e.secret, \
     e.retired_secrets, e.created_at, e.updated_at";

/// Number of columns in `ENDPOINT_COLS`.
pub(crate) const ENDPOINT_NCOLS: usize = 16;

/// An endpoint from `ENDPOINT_COLS` starting at column `b`.
pub(crate) fn endpoint_at(row: &Row, b: usize) -> Result<Endpoint, StoreError> {
    let retired: Vec<RetiredRow> = json_col(row, b + 13)?;
    Ok(Endpoint {
        id: col(row, b)?,
        app_id: col(row, b + 1)?,
        uid: col(row, b + 2)?,
        url: col(row, b + 3)?,
        description: col(row, b + 4)?,
        version: col(row, b + 5)?,
        disabled: col(row, b + 6)?,
        event_types: opt_json_col(row, b + 7)?,
        channels: opt_json_col(row, b + 8)?,
        throttle_rate: opt_u32_col(row, b + 9)?,
        metadata: json_col(row, b + 10)?,
        headers: col(row, b + 11)?,
        secret: col(row, b + 12)?,
        retired_secrets: retired.into_iter().map(RetiredSecret::from).collect(),
        created_at: col(row, b + 14)?,
        updated_at: col(row, b + 15)?,
    })
}

/// Columns of [`message_at`], table alias `m`.
pub(crate) const MESSAGE_COLS: &str = "m.id, m.app_id, m.event_type, m.event_id, m.channels, \
     m.payload, m.created_at, m.content_type, m.headers, m.tags, m.deliver_at, m.expunged_at, m.payload_expires_at, m.trace_context";

/// Number of columns in `MESSAGE_COLS`.
pub(crate) const MESSAGE_NCOLS: usize = 14;

/// A message from `MESSAGE_COLS` starting at column `b`.
pub(crate) fn message_at(row: &Row, b: usize) -> Result<Message, StoreError> {
    let content_type: Option<String> = col(row, b + 7)?;
    let headers: Option<Vec<(String, String)>> = opt_json_col(row, b + 8)?;
    Ok(Message {
        id: col(row, b)?,
        app_id: col(row, b + 1)?,
        event_type: col(row, b + 2)?,
        event_id: col(row, b + 3)?,
        channels: opt_json_col(row, b + 4)?,
        payload: col(row, b + 5)?,
        inbound: content_type.map(|content_type| InboundMeta {
            content_type,
            headers: headers.unwrap_or_default(),
        }),
        tags: opt_json_col(row, b + 9)?,
        deliver_at: col(row, b + 10)?,
        expunged_at: col(row, b + 11)?,
        payload_expires_at: col(row, b + 12)?,
        trace_context: col(row, b + 13)?,
        created_at: col(row, b + 6)?,
    })
}

/// The inbound metadata of a message as stored: (content_type, headers JSON).
pub(crate) fn inbound_cols(msg: &Message) -> Result<(Option<String>, Option<String>), StoreError> {
    Ok(match &msg.inbound {
        Some(meta) => (
            Some(meta.content_type.clone()),
            Some(to_json(&meta.headers)?),
        ),
        None => (None, None),
    })
}

/// Columns of [`source_at`], table alias `s`.
pub(crate) const SOURCE_COLS: &str = "s.id, s.org_id, s.app_id, s.uid, s.name, s.kind, \
     s.config, s.token, s.metadata, s.created_at, s.updated_at";

/// A source from `SOURCE_COLS` starting at column `b`.
pub(crate) fn source_at(row: &Row, b: usize) -> Result<Source, StoreError> {
    Ok(Source {
        id: col(row, b)?,
        org_id: col(row, b + 1)?,
        app_id: col(row, b + 2)?,
        uid: col(row, b + 3)?,
        name: col(row, b + 4)?,
        kind: col(row, b + 5)?,
        config: col(row, b + 6)?,
        token: col(row, b + 7)?,
        metadata: json_col(row, b + 8)?,
        created_at: col(row, b + 9)?,
        updated_at: col(row, b + 10)?,
    })
}

/// Columns of [`integration_at`], table alias `i`.
pub(crate) const INTEGRATION_COLS: &str =
    "i.id, i.app_id, i.name, i.feature_flags, i.key, i.created_at, i.updated_at";

/// An integration from `INTEGRATION_COLS` starting at column `b`.
pub(crate) fn integration_at(row: &Row, b: usize) -> Result<Integration, StoreError> {
    Ok(Integration {
        id: col(row, b)?,
        app_id: col(row, b + 1)?,
        name: col(row, b + 2)?,
        feature_flags: json_col(row, b + 3)?,
        key: col(row, b + 4)?,
        created_at: col(row, b + 5)?,
        updated_at: col(row, b + 6)?,
    })
}

/// Columns of [`delivery_at`] without a table alias (for `RETURNING`).
pub(crate) const DELIVERY_COLS_BARE: &str = "id, msg_id, endpoint_id, app_id, status, attempts, \
     round_attempts, next_attempt_at, trigger, updated_at";

/// Columns of [`delivery_at`], table alias `d`.
pub(crate) const DELIVERY_COLS: &str = "d.id, d.msg_id, d.endpoint_id, d.app_id, d.status, \
     d.attempts, d.round_attempts, d.next_attempt_at, d.trigger, d.updated_at";

/// A delivery from `DELIVERY_COLS` starting at column `b`.
pub(crate) fn delivery_at(row: &Row, b: usize) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        id: col(row, b)?,
        msg_id: col(row, b + 1)?,
        endpoint_id: col(row, b + 2)?,
        app_id: col(row, b + 3)?,
        status: status_col(row, b + 4)?,
        attempts: u32_col(row, b + 5)?,
        round_attempts: u32_col(row, b + 6)?,
        next_attempt_at: col(row, b + 7)?,
        trigger: trigger_col(row, b + 8)?,
        updated_at: col(row, b + 9)?,
    })
}

/// Columns of [`attempt_at`], table alias `t`.
pub(crate) const ATTEMPT_COLS: &str = "t.id, t.delivery_id, t.msg_id, t.endpoint_id, t.app_id, \
     t.url, t.response, t.response_status_code, t.response_duration_ms, t.status, t.trigger, \
     t.error_class, t.created_at";

/// An attempt from `ATTEMPT_COLS` starting at column `b`.
pub(crate) fn attempt_at(row: &Row, b: usize) -> Result<Attempt, StoreError> {
    Ok(Attempt {
        id: col(row, b)?,
        delivery_id: col(row, b + 1)?,
        msg_id: col(row, b + 2)?,
        endpoint_id: col(row, b + 3)?,
        app_id: col(row, b + 4)?,
        url: col(row, b + 5)?,
        response: col(row, b + 6)?,
        response_status_code: col(row, b + 7)?,
        response_duration_ms: col(row, b + 8)?,
        status: status_col(row, b + 9)?,
        trigger: trigger_col(row, b + 10)?,
        error_class: col(row, b + 11)?,
        created_at: col(row, b + 12)?,
    })
}

/// PostgreSQL's own placeholders in statement text: `{cols.<table>}` is the column list the
/// row mapper of that table reads.
pub(crate) fn vars(name: &str) -> Option<&'static str> {
    Some(match name {
        "cols.application" => APP_COLS,
        "cols.event_type" => EVENT_TYPE_COLS,
        "cols.endpoint" => ENDPOINT_COLS,
        "cols.message" => MESSAGE_COLS,
        "cols.source" => SOURCE_COLS,
        "cols.delivery" => DELIVERY_COLS,
        "cols.delivery_unaliased" => DELIVERY_COLS_BARE,
        "cols.attempt" => ATTEMPT_COLS,
        "cols.integration" => INTEGRATION_COLS,
        "cols.background_task" => TASK_COLS,
        "cols.background_task_bare" => TASK_COLS_BARE,
        _ => return None,
    })
}

/// Columns of [`task_at`], table alias `k`.
pub(crate) const TASK_COLS: &str = "k.id, k.org_id, k.app_id, k.endpoint_id, k.kind, k.status, \
     k.params, k.data, k.cursor, k.created_at, k.updated_at";

/// Columns of [`task_at`] without a table alias (for `RETURNING`).
pub(crate) const TASK_COLS_BARE: &str = "id, org_id, app_id, endpoint_id, kind, status, params, \
     data, cursor, created_at, updated_at";

/// How many columns [`task_at`] reads.
pub(crate) const TASK_NCOLS: usize = 11;

/// A background task from `TASK_COLS` starting at column `b`.
pub(crate) fn task_at(row: &Row, b: usize) -> Result<crate::Task, StoreError> {
    let status: i32 = col(row, b + 5)?;
    Ok(crate::Task {
        id: col(row, b)?,
        org_id: col(row, b + 1)?,
        app_id: col(row, b + 2)?,
        endpoint_id: col(row, b + 3)?,
        kind: col(row, b + 4)?,
        status: crate::TaskStatus::from_i64(status.into())
            .ok_or_else(|| StoreError::backend(format!("unknown task status {status}")))?,
        params: json_col(row, b + 6)?,
        data: json_col(row, b + 7)?,
        cursor: col(row, b + 8)?,
        created_at: col(row, b + 9)?,
        updated_at: col(row, b + 10)?,
    })
}
