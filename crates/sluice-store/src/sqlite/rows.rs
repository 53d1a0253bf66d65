//! Row mappers, column lists and the conversions between models and stored values.
//!
//! Each table read into a model has its column list here (`{cols.<table>}` in the `.sql`
//! files) beside the mapper that reads it, and each table written by both an INSERT and an
//! UPDATE has one list of named parameters (`*_params`) that both statements take.

use rusqlite::types::Type;
use rusqlite::Row;
use serde::de::DeserializeOwned;
use sluice_core::model::{
    Application, Attempt, Delivery, DeliveryStatus, Endpoint, EventType, InboundMeta, Integration,
    Message, RetiredSecret, Source, Trigger,
};

use super::db::{named, Named};
use crate::StoreError;

/// Driver errors become [`StoreError`]s in [`super::errors`]; re-exported beside the row
/// mappers, which every module imports.
pub(crate) use super::errors::backend;

use crate::stored::RetiredRow;
pub(crate) use crate::stored::{opt_json, retired_json, to_json};

fn json_col<T: DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

pub(crate) fn opt_json_col<T: DeserializeOwned>(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(idx)?;
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
    })
    .transpose()
}

fn status_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<DeliveryStatus> {
    let v: i64 = row.get(idx)?;
    DeliveryStatus::from_i64(v).ok_or(rusqlite::Error::IntegralValueOutOfRange(idx, v))
}

fn u32_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<u32> {
    let v: i64 = row.get(idx)?;
    u32::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(idx, v))
}

fn opt_u32_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<u32>> {
    let v: Option<i64> = row.get(idx)?;
    v.map(|v| u32::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(idx, v)))
        .transpose()
}

/// Columns of [`application_at`], table alias `a`.
pub(crate) const APP_COLS: &str =
    "a.id, a.org_id, a.uid, a.name, a.throttle_rate, a.metadata, a.created_at, a.updated_at";

/// An application from `APP_COLS` starting at column `b`.
pub(crate) fn application_at(row: &Row<'_>, b: usize) -> rusqlite::Result<Application> {
    Ok(Application {
        id: row.get(b)?,
        org_id: row.get(b + 1)?,
        uid: row.get(b + 2)?,
        name: row.get(b + 3)?,
        throttle_rate: opt_u32_col(row, b + 4)?,
        metadata: json_col(row, b + 5)?,
        created_at: row.get(b + 6)?,
        updated_at: row.get(b + 7)?,
    })
}

/// An application's fields as the named parameters of `application/{insert,update}.sql`.
pub(crate) fn application_params(app: &Application) -> Result<Vec<Named<'_>>, StoreError> {
    Ok(vec![
        named(":id", &app.id),
        named(":org_id", &app.org_id),
        named(":uid", &app.uid),
        named(":name", &app.name),
        named(":throttle_rate", app.throttle_rate),
        named(":metadata", to_json(&app.metadata)?),
        named(":created_at", app.created_at),
        named(":updated_at", app.updated_at),
    ])
}

/// Columns of [`event_type_at`], table alias `et`.
pub(crate) const EVENT_TYPE_COLS: &str = "et.org_id, et.name, et.description, et.schemas, \
     et.archived, et.deprecated, et.feature_flag, et.created_at, et.updated_at";

/// An event type from `EVENT_TYPE_COLS` starting at column `b`.
pub(crate) fn event_type_at(row: &Row<'_>, b: usize) -> rusqlite::Result<EventType> {
    Ok(EventType {
        org_id: row.get(b)?,
        name: row.get(b + 1)?,
        description: row.get(b + 2)?,
        schemas: opt_json_col(row, b + 3)?,
        archived: row.get(b + 4)?,
        deprecated: row.get(b + 5)?,
        feature_flag: row.get(b + 6)?,
        created_at: row.get(b + 7)?,
        updated_at: row.get(b + 8)?,
    })
}

/// An event type's fields as the named parameters of `event_type/{insert,update}.sql`.
pub(crate) fn event_type_params(et: &EventType) -> Result<Vec<Named<'_>>, StoreError> {
    Ok(vec![
        named(":org_id", &et.org_id),
        named(":name", &et.name),
        named(":description", &et.description),
        named(":schemas", et.schemas.as_ref().map(to_json).transpose()?),
        named(":archived", et.archived),
        named(":deprecated", et.deprecated),
        named(":feature_flag", &et.feature_flag),
        named(":created_at", et.created_at),
        named(":updated_at", et.updated_at),
    ])
}

/// Columns of [`endpoint_at`], table alias `e`.
pub(crate) const ENDPOINT_COLS: &str = "e.id, e.app_id, e.uid, e.url, e.description, e.version, \
     e.disabled, e.event_types, e.channels, e.throttle_rate, e.metadata, e.headers, e.secret, \
     e.retired_secrets, e.created_at, e.updated_at";

/// Number of columns in `ENDPOINT_COLS`.
pub(crate) const ENDPOINT_NCOLS: usize = 16;

/// An endpoint from `ENDPOINT_COLS` starting at column `b`.
pub(crate) fn endpoint_at(row: &Row<'_>, b: usize) -> rusqlite::Result<Endpoint> {
    let retired: Vec<RetiredRow> = json_col(row, b + 13)?;
    Ok(Endpoint {
        id: row.get(b)?,
        app_id: row.get(b + 1)?,
        uid: row.get(b + 2)?,
        url: row.get(b + 3)?,
        description: row.get(b + 4)?,
        version: row.get(b + 5)?,
        disabled: row.get(b + 6)?,
        event_types: opt_json_col(row, b + 7)?,
        channels: opt_json_col(row, b + 8)?,
        throttle_rate: opt_u32_col(row, b + 9)?,
        metadata: json_col(row, b + 10)?,
        headers: row.get(b + 11)?,
        secret: row.get(b + 12)?,
        retired_secrets: retired.into_iter().map(RetiredSecret::from).collect(),
        created_at: row.get(b + 14)?,
        updated_at: row.get(b + 15)?,
    })
}

/// An endpoint's fields as the named parameters of `endpoint/{insert,update}.sql`.
pub(crate) fn endpoint_params(ep: &Endpoint) -> Result<Vec<Named<'_>>, StoreError> {
    Ok(vec![
        named(":id", &ep.id),
        named(":app_id", &ep.app_id),
        named(":uid", &ep.uid),
        named(":url", &ep.url),
        named(":description", &ep.description),
        named(":version", ep.version),
        named(":disabled", ep.disabled),
        named(":event_types", opt_json(&ep.event_types)?),
        named(":channels", opt_json(&ep.channels)?),
        named(":throttle_rate", ep.throttle_rate),
        named(":metadata", to_json(&ep.metadata)?),
        named(":headers", &ep.headers),
        named(":secret", &ep.secret),
        named(":retired_secrets", retired_json(&ep.retired_secrets)?),
        named(":created_at", ep.created_at),
        named(":updated_at", ep.updated_at),
    ])
}

/// Columns of [`message_at`], table alias `m`.
pub(crate) const MESSAGE_COLS: &str = "m.id, m.app_id, m.event_type, m.event_id, m.channels, \
     m.payload, m.created_at, m.content_type, m.headers, m.tags, m.deliver_at, m.expunged_at, m.payload_expires_at, m.trace_context";

/// Number of columns in `MESSAGE_COLS`.
pub(crate) const MESSAGE_NCOLS: usize = 14;

/// A message from `MESSAGE_COLS` starting at column `b`.
pub(crate) fn message_at(row: &Row<'_>, b: usize) -> rusqlite::Result<Message> {
    let content_type: Option<String> = row.get(b + 7)?;
    let headers: Option<Vec<(String, String)>> = opt_json_col(row, b + 8)?;
    Ok(Message {
        id: row.get(b)?,
        app_id: row.get(b + 1)?,
        event_type: row.get(b + 2)?,
        event_id: row.get(b + 3)?,
        channels: opt_json_col(row, b + 4)?,
        payload: row.get(b + 5)?,
        inbound: content_type.map(|content_type| InboundMeta {
            content_type,
            headers: headers.unwrap_or_default(),
        }),
        tags: opt_json_col(row, b + 9)?,
        deliver_at: row.get(b + 10)?,
        expunged_at: row.get(b + 11)?,
        payload_expires_at: row.get(b + 12)?,
        trace_context: row.get(b + 13)?,
        created_at: row.get(b + 6)?,
    })
}

/// Columns of [`source_at`], table alias `s`.
pub(crate) const SOURCE_COLS: &str = "s.id, s.org_id, s.app_id, s.uid, s.name, s.kind, \
     s.config, s.token, s.metadata, s.created_at, s.updated_at";

/// Number of columns in `SOURCE_COLS`.
pub(crate) const SOURCE_NCOLS: usize = 11;

/// A source from `SOURCE_COLS` starting at column `b`.
pub(crate) fn source_at(row: &Row<'_>, b: usize) -> rusqlite::Result<Source> {
    Ok(Source {
        id: row.get(b)?,
        org_id: row.get(b + 1)?,
        app_id: row.get(b + 2)?,
        uid: row.get(b + 3)?,
        name: row.get(b + 4)?,
        kind: row.get(b + 5)?,
        config: row.get(b + 6)?,
        token: row.get(b + 7)?,
        metadata: json_col(row, b + 8)?,
        created_at: row.get(b + 9)?,
        updated_at: row.get(b + 10)?,
    })
}

/// A source's fields as the named parameters of `source/{insert,update}.sql`.
pub(crate) fn source_params(src: &Source) -> Result<Vec<Named<'_>>, StoreError> {
    Ok(vec![
        named(":id", &src.id),
        named(":org_id", &src.org_id),
        named(":app_id", &src.app_id),
        named(":uid", &src.uid),
        named(":name", &src.name),
        named(":kind", &src.kind),
        named(":config", &src.config),
        named(":token", &src.token),
        named(":metadata", to_json(&src.metadata)?),
        named(":created_at", src.created_at),
        named(":updated_at", src.updated_at),
    ])
}

/// Columns of [`integration_at`], table alias `i`.
pub(crate) const INTEGRATION_COLS: &str =
    "i.id, i.app_id, i.name, i.feature_flags, i.key, i.created_at, i.updated_at";

/// An integration from `INTEGRATION_COLS` starting at column `b`.
pub(crate) fn integration_at(row: &Row<'_>, b: usize) -> rusqlite::Result<Integration> {
    Ok(Integration {
        id: row.get(b)?,
        app_id: row.get(b + 1)?,
        name: row.get(b + 2)?,
        feature_flags: json_col(row, b + 3)?,
        key: row.get(b + 4)?,
        created_at: row.get(b + 5)?,
        updated_at: row.get(b + 6)?,
    })
}

/// An integration's fields, and the hash its key is found by, as the named parameters of
/// `integration/{insert,update}.sql`.
pub(crate) fn integration_params<'a>(
    i: &'a Integration,
    key_hash: Option<&'a str>,
) -> Result<Vec<Named<'a>>, StoreError> {
    let mut params = vec![
        named(":id", &i.id),
        named(":app_id", &i.app_id),
        named(":name", &i.name),
        named(":feature_flags", to_json(&i.feature_flags)?),
        named(":key", &i.key),
        named(":created_at", i.created_at),
        named(":updated_at", i.updated_at),
    ];
    params.extend(key_hash.map(|h| named(":key_hash", h)));
    Ok(params)
}

/// Columns of [`delivery_at`] without a table alias (for `RETURNING`).
pub(crate) const DELIVERY_COLS_BARE: &str = "id, msg_id, endpoint_id, app_id, status, attempts, \
     round_attempts, next_attempt_at, trigger, updated_at";

/// Columns of [`delivery_at`], table alias `d`.
pub(crate) const DELIVERY_COLS: &str = "d.id, d.msg_id, d.endpoint_id, d.app_id, d.status, \
     d.attempts, d.round_attempts, d.next_attempt_at, d.trigger, d.updated_at";

/// A delivery from `DELIVERY_COLS` starting at column `b`.
pub(crate) fn delivery_at(row: &Row<'_>, b: usize) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: row.get(b)?,
        msg_id: row.get(b + 1)?,
        endpoint_id: row.get(b + 2)?,
        app_id: row.get(b + 3)?,
        status: status_col(row, b + 4)?,
        attempts: u32_col(row, b + 5)?,
        round_attempts: u32_col(row, b + 6)?,
        next_attempt_at: row.get(b + 7)?,
        trigger: Trigger::from_i64(row.get(b + 8)?),
        updated_at: row.get(b + 9)?,
    })
}

/// Columns of [`attempt_at`], table alias `t`.
pub(crate) const ATTEMPT_COLS: &str = "t.id, t.delivery_id, t.msg_id, t.endpoint_id, t.app_id, \
     t.url, t.response, t.response_status_code, t.response_duration_ms, t.status, t.trigger, \
     t.error_class, t.created_at";

/// An attempt from `ATTEMPT_COLS` starting at column `b`.
pub(crate) fn attempt_at(row: &Row<'_>, b: usize) -> rusqlite::Result<Attempt> {
    Ok(Attempt {
        id: row.get(b)?,
        delivery_id: row.get(b + 1)?,
        msg_id: row.get(b + 2)?,
        endpoint_id: row.get(b + 3)?,
        app_id: row.get(b + 4)?,
        url: row.get(b + 5)?,
        response: row.get(b + 6)?,
        response_status_code: row.get(b + 7)?,
        response_duration_ms: row.get(b + 8)?,
        status: status_col(row, b + 9)?,
        trigger: Trigger::from_i64(row.get(b + 10)?),
        error_class: row.get(b + 11)?,
        created_at: row.get(b + 12)?,
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
pub(crate) fn task_at(row: &Row<'_>, b: usize) -> rusqlite::Result<crate::Task> {
    let status: i64 = row.get(b + 5)?;
    Ok(crate::Task {
        id: row.get(b)?,
        org_id: row.get(b + 1)?,
        app_id: row.get(b + 2)?,
        endpoint_id: row.get(b + 3)?,
        kind: row.get(b + 4)?,
        status: crate::TaskStatus::from_i64(status).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                b + 5,
                Type::Integer,
                format!("unknown task status {status}").into(),
            )
        })?,
        params: json_col(row, b + 6)?,
        data: json_col(row, b + 7)?,
        cursor: row.get(b + 8)?,
        created_at: row.get(b + 9)?,
        updated_at: row.get(b + 10)?,
    })
}
