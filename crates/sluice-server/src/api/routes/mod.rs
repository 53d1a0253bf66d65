//! Route handlers, one module per area: thin adapters that extract the request, call the
//! operation in [`crate::ops`] with the time from `AppState.clock`, and turn its result
//! into a response. Business rules, app scope (`ops::scope::load_app`) and conflict
//! handling live in the operations, not here; what a portal token may do is the
//! capability table's business (`auth::table`), checked when `Caller` is extracted.

pub mod applications;
pub mod attempts;
pub mod auth;
pub mod endpoint_headers;
pub mod endpoint_ops;
pub mod endpoint_secret;
pub mod endpoints;
pub mod event_types;
pub mod health;
pub mod integrations;
pub mod messages;
pub mod operational_webhooks;
pub mod redrive;
pub mod sources;
pub mod tasks;

use axum::http::StatusCode;
use axum::Json;

use crate::ops::Upserted;

/// 201 for an entity created now, 200 for one that existed; `show` makes its wire form.
pub fn upserted<T, U>(u: Upserted<T>, show: impl FnOnce(T) -> U) -> (StatusCode, Json<U>) {
    let status = if u.created() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(show(u.into_inner())))
}
