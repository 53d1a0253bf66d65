//! The capability × route table: the one place that says who may call each authenticated
//! route. The [`Caller`](super::Caller) extractor looks the matched route up here on every
//! request, so no handler can forget the check.
//!
//! - Org tokens may call every route; their scope (the org) is enforced by the lookups.
//! - App-portal tokens may call only [`Access::Portal`] routes whose capability their grant
//!   allows, and only for their own application (enforced by `load_app`).
//! - A route missing from the table is org-only in release builds and a 500 naming the
//!   route in debug builds, so a new route without a row fails its tests instead of opening
//!   a hole.

use axum::http::Method;

use super::capability::Capability::{
    self, CreateAttempts, ManageEndpoint, ManageEndpointSecret, ViewBase, ViewEndpointSecret,
};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Org tokens only.
    Org,
    /// Org tokens, and app-portal tokens whose grant allows this capability.
    Portal(Capability),
    /// Any valid token (logout, which itself refuses org tokens with a clear error).
    AnyToken,
}

/// One row: method, route template exactly as registered in `api::router`, access.
pub type Row = (Method, &'static str, Access);

// Route templates, spelled as `api::router` registers them.
const APP: &str = "/api/v1/app/{app_id}";
const EP: &str = "/api/v1/app/{app_id}/endpoint/{endpoint_id}";
const EP_SECRET: &str = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret";
const EP_ROTATE: &str = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate";
const EP_HEADERS: &str = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers";
const EP_RECOVER: &str = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover";
const EP_EXAMPLE: &str = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example";
const EP_STATS: &str = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats";
const EP_ATTEMPT_STATS: &str = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/attempt-stats";
const EP_REPLAY_MISSING: &str = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/replay-missing";
const EP_BULK_REPLAY: &str = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/bulk-replay";
const EP_DEAD_LETTERS: &str = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/dead-letter";
const APP_DEAD_LETTERS: &str = "/api/v1/app/{app_id}/dead-letter";
const MSG_EXPUNGE_ALL: &str = "/api/v1/app/{app_id}/msg/expunge-all-contents";
const MSG_BULK_EXPUNGE: &str = "/api/v1/app/{app_id}/msg/bulk-expunge";
const EP_MSGS: &str = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/msg";
const EVENT_TYPE: &str = "/api/v1/event-type/{event_type_name}";
const MSG: &str = "/api/v1/app/{app_id}/msg/{msg_id}";
const MSG_DESTINATIONS: &str = "/api/v1/app/{app_id}/msg/{msg_id}/endpoint";
const MSG_ATTEMPT: &str = "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}";
const MSG_RESEND: &str = "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend";
const MSG_ATTEMPTS: &str = "/api/v1/app/{app_id}/msg/{msg_id}/attempt";
const MSG_EP_ATTEMPTS: &str = "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/attempt";
const APP_ATTEMPTS_BY_MSG: &str = "/api/v1/app/{app_id}/attempt/msg/{msg_id}";
const APP_ATTEMPTS_BY_EP: &str = "/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}";
const MSG_CONTENT: &str = "/api/v1/app/{app_id}/msg/{msg_id}/content";
const MSG_ATTEMPT_CONTENT: &str = "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content";
const INTEGS: &str = "/api/v1/app/{app_id}/integration";
const INTEG: &str = "/api/v1/app/{app_id}/integration/{integ_id}";
const INTEG_KEY: &str = "/api/v1/app/{app_id}/integration/{integ_id}/key";
const INTEG_ROTATE: &str = "/api/v1/app/{app_id}/integration/{integ_id}/key/rotate";
const OP_EPS: &str = "/api/v1/operational-webhook/endpoint";
const OP_EP: &str = "/api/v1/operational-webhook/endpoint/{endpoint_id}";
const OP_EP_SECRET: &str = "/api/v1/operational-webhook/endpoint/{endpoint_id}/secret";
const OP_EP_ROTATE: &str = "/api/v1/operational-webhook/endpoint/{endpoint_id}/secret/rotate";
const OP_EP_HEADERS: &str = "/api/v1/operational-webhook/endpoint/{endpoint_id}/headers";
const SRC: &str = "/ingest/api/v1/source/{source_id}";
const SRC_EP: &str = "/ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}";
const SRC_EP_SECRET: &str = "/ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}/secret";
const SRC_EP_ROTATE: &str =
    "/ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}/secret/rotate";
const SRC_EP_HEADERS: &str = "/ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}/headers";

/// Every authenticated route. Paths are axum templates; `{…}` segments are parameters.
pub const ROUTES: &[Row] = &[
    // auth
    (
        Method::POST,
        "/api/v1/auth/app-portal-access/{app_id}",
        Access::Org,
    ),
    (
        Method::POST,
        "/api/v1/auth/dashboard-access/{app_id}",
        Access::Org,
    ),
    (
        Method::POST,
        "/api/v1/auth/app/{app_id}/expire-all",
        Access::Org,
    ),
    (Method::POST, "/api/v1/auth/logout", Access::AnyToken),
    // applications
    (Method::GET, "/api/v1/app", Access::Org),
    (Method::POST, "/api/v1/app", Access::Org),
    (Method::GET, APP, Access::Portal(ViewBase)),
    (Method::PUT, APP, Access::Org),
    (Method::PATCH, APP, Access::Org),
    (Method::DELETE, APP, Access::Org),
    // endpoints
    (
        Method::GET,
        "/api/v1/app/{app_id}/endpoint",
        Access::Portal(ViewBase),
    ),
    (
        Method::POST,
        "/api/v1/app/{app_id}/endpoint",
        Access::Portal(ManageEndpoint),
    ),
    (Method::GET, EP, Access::Portal(ViewBase)),
    (Method::PUT, EP, Access::Portal(ManageEndpoint)),
    (Method::PATCH, EP, Access::Portal(ManageEndpoint)),
    (Method::DELETE, EP, Access::Portal(ManageEndpoint)),
    (Method::GET, EP_SECRET, Access::Portal(ViewEndpointSecret)),
    (
        Method::POST,
        EP_ROTATE,
        Access::Portal(ManageEndpointSecret),
    ),
    (Method::GET, EP_HEADERS, Access::Portal(ViewBase)),
    (Method::PUT, EP_HEADERS, Access::Portal(ManageEndpoint)),
    (Method::PATCH, EP_HEADERS, Access::Portal(ManageEndpoint)),
    (Method::POST, EP_RECOVER, Access::Portal(CreateAttempts)),
    (Method::POST, EP_EXAMPLE, Access::Portal(CreateAttempts)),
    (
        Method::POST,
        EP_REPLAY_MISSING,
        Access::Portal(CreateAttempts),
    ),
    (Method::POST, EP_BULK_REPLAY, Access::Portal(CreateAttempts)),
    (Method::GET, EP_DEAD_LETTERS, Access::Portal(ViewBase)),
    (Method::GET, APP_DEAD_LETTERS, Access::Portal(ViewBase)),
    (Method::GET, EP_STATS, Access::Portal(ViewBase)),
    (Method::GET, EP_ATTEMPT_STATS, Access::Portal(ViewBase)),
    (Method::GET, EP_MSGS, Access::Portal(ViewBase)),
    // event types
    (Method::GET, "/api/v1/event-type", Access::Portal(ViewBase)),
    (Method::POST, "/api/v1/event-type", Access::Org),
    (Method::GET, EVENT_TYPE, Access::Portal(ViewBase)),
    (Method::PUT, EVENT_TYPE, Access::Org),
    (Method::PATCH, EVENT_TYPE, Access::Org),
    (Method::DELETE, EVENT_TYPE, Access::Org),
    // messages and attempts
    (
        Method::GET,
        "/api/v1/app/{app_id}/msg",
        Access::Portal(ViewBase),
    ),
    (Method::POST, "/api/v1/app/{app_id}/msg", Access::Org),
    (Method::GET, MSG, Access::Portal(ViewBase)),
    (Method::GET, MSG_DESTINATIONS, Access::Portal(ViewBase)),
    (Method::GET, MSG_ATTEMPT, Access::Portal(ViewBase)),
    (Method::POST, MSG_RESEND, Access::Portal(CreateAttempts)),
    (Method::GET, MSG_ATTEMPTS, Access::Portal(ViewBase)),
    (Method::GET, MSG_EP_ATTEMPTS, Access::Portal(ViewBase)),
    (Method::GET, APP_ATTEMPTS_BY_MSG, Access::Portal(ViewBase)),
    (Method::GET, APP_ATTEMPTS_BY_EP, Access::Portal(ViewBase)),
    // expunging content destroys data: org tokens only
    (Method::DELETE, MSG_CONTENT, Access::Org),
    (Method::DELETE, MSG_ATTEMPT_CONTENT, Access::Org),
    (Method::POST, MSG_EXPUNGE_ALL, Access::Org),
    (Method::POST, MSG_BULK_EXPUNGE, Access::Org),
    // a GET of those paths is the message of that event id
    (Method::GET, MSG_EXPUNGE_ALL, Access::Portal(ViewBase)),
    (Method::GET, MSG_BULK_EXPUNGE, Access::Portal(ViewBase)),
    // background tasks are the organisation's (they may span applications)
    (Method::GET, "/api/v1/background-task", Access::Org),
    (
        Method::GET,
        "/api/v1/background-task/{task_id}",
        Access::Org,
    ),
    (Method::POST, "/api/v1/stats/usage/app", Access::Org),
    // integrations hand out a key to the application: org tokens only
    (Method::GET, INTEGS, Access::Org),
    (Method::POST, INTEGS, Access::Org),
    (Method::GET, INTEG, Access::Org),
    (Method::PUT, INTEG, Access::Org),
    (Method::DELETE, INTEG, Access::Org),
    (Method::GET, INTEG_KEY, Access::Org),
    (Method::POST, INTEG_ROTATE, Access::Org),
    // ingest API: sources are org-level objects
    (Method::GET, "/ingest/api/v1/source", Access::Org),
    (Method::POST, "/ingest/api/v1/source", Access::Org),
    (Method::GET, SRC, Access::Org),
    (Method::PUT, SRC, Access::Org),
    (Method::DELETE, SRC, Access::Org),
    (
        Method::POST,
        "/ingest/api/v1/source/{source_id}/token/rotate",
        Access::Org,
    ),
    (Method::GET, "/ingest/api/v1/stats", Access::Org),
    (
        Method::GET,
        "/ingest/api/v1/source/{source_id}/endpoint",
        Access::Org,
    ),
    (
        Method::POST,
        "/ingest/api/v1/source/{source_id}/endpoint",
        Access::Org,
    ),
    (Method::GET, SRC_EP, Access::Org),
    (Method::PUT, SRC_EP, Access::Org),
    (Method::DELETE, SRC_EP, Access::Org),
    (Method::GET, SRC_EP_SECRET, Access::Org),
    (Method::POST, SRC_EP_ROTATE, Access::Org),
    (Method::GET, SRC_EP_HEADERS, Access::Org),
    (Method::PUT, SRC_EP_HEADERS, Access::Org),
    (Method::PATCH, SRC_EP_HEADERS, Access::Org),
    // operational webhooks: the org's own alerts, never an app-portal user's
    (Method::GET, OP_EPS, Access::Org),
    (Method::POST, OP_EPS, Access::Org),
    (Method::GET, OP_EP, Access::Org),
    (Method::PUT, OP_EP, Access::Org),
    (Method::DELETE, OP_EP, Access::Org),
    (Method::GET, OP_EP_SECRET, Access::Org),
    (Method::POST, OP_EP_ROTATE, Access::Org),
    (Method::GET, OP_EP_HEADERS, Access::Org),
    (Method::PUT, OP_EP_HEADERS, Access::Org),
];

/// The access of a matched route; `HEAD` is answered by the `GET` route, so it is looked
/// up as `GET`. `None` when the route has no row.
pub fn access(method: &Method, path: &str) -> Option<Access> {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    ROUTES
        .iter()
        .find(|(m, p, _)| m == method && *p == path)
        .map(|(_, _, a)| *a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_unique_and_head_is_get() {
        for (i, (m, p, _)) in ROUTES.iter().enumerate() {
            assert!(
                !ROUTES[..i].iter().any(|(m2, p2, _)| m2 == m && p2 == p),
                "{m} {p} listed twice"
            );
        }
        assert_eq!(
            access(&Method::HEAD, EP_SECRET),
            Some(Access::Portal(ViewEndpointSecret))
        );
        assert_eq!(access(&Method::GET, "/api/v1/nope"), None);
    }
}
