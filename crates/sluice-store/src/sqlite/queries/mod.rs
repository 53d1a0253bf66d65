//! Every SQL statement of the SQLite backend, one `.sql` file each under
//! `queries/<table>/<verb>.sql` (see `README.md` here for the convention, which the
//! PostgreSQL backend mirrors file for file), compiled in and rendered by [`crate::sql`].
//!
//! Statements are grouped by the table they act on, and each is a `static` [`Sql`] named
//! after its file: `delivery::LEASE` is `queries/delivery/lease.sql`. What is not here is
//! assembled in Rust on purpose: list filters (`page.rs` and the `list_*` functions append
//! `AND …` terms to a `list.sql` start), the lookups by id or key ([`by_id_or_key`], one
//! shape for every table), and connection setup and transaction control (`PRAGMA`,
//! `BEGIN`, `SAVEPOINT`), which are not queries.

use super::rows;
use crate::sql::Sql;

/// SQLite's own placeholders: `{cols.<table>}` is the column list the row mapper of that
/// table reads (see [`super::rows`]), with the table alias the statements use.
fn vars(name: &str) -> Option<&'static str> {
    Some(match name {
        "cols.application" => rows::APP_COLS,
        "cols.event_type" => rows::EVENT_TYPE_COLS,
        "cols.endpoint" => rows::ENDPOINT_COLS,
        "cols.message" => rows::MESSAGE_COLS,
        "cols.source" => rows::SOURCE_COLS,
        "cols.delivery" => rows::DELIVERY_COLS,
        "cols.delivery_unaliased" => rows::DELIVERY_COLS_BARE,
        "cols.attempt" => rows::ATTEMPT_COLS,
        "cols.integration" => rows::INTEGRATION_COLS,
        "cols.background_task" => rows::TASK_COLS,
        "cols.background_task_bare" => rows::TASK_COLS_BARE,
        _ => return None,
    })
}

/// Declares the statements of each table as `static`s and lists them all in [`ALL`].
macro_rules! statements {
    ($($table:ident { $($name:ident = $file:literal;)* })*) => {
        $(
            #[doc = concat!("Statements on `", stringify!($table), "`.")]
            pub(crate) mod $table {
                use crate::sql::Sql;
                $(
                    #[doc = concat!("`queries/", stringify!($table), "/", $file, ".sql`")]
                    pub(crate) static $name: Sql = Sql::new(
                        concat!(stringify!($table), "/", $file, ".sql"),
                        include_str!(concat!(stringify!($table), "/", $file, ".sql")),
                        super::vars,
                    );
                )*
            }
        )*

        /// Every statement, for the check at open and the tests.
        pub(crate) static ALL: &[&Sql] = &[$($(&$table::$name,)*)*];
    };
}

statements! {
    application {
        INSERT = "insert";
        UPDATE = "update";
        BY_ID = "by_id";
        EXISTS = "exists";
        LIST = "list";
        DELETE = "delete";
    }
    event_type {
        INSERT = "insert";
        UPDATE = "update";
        GET = "get";
        LIST = "list";
        DELETE = "delete";
    }
    endpoint {
        INSERT = "insert";
        UPDATE = "update";
        BY_ID = "by_id";
        LIST = "list";
        DISABLED = "disabled";
        OF_APP = "of_app";
        GATE = "gate";
        ENABLED_FILTERS = "enabled_filters";
        DISABLE_IF_ENABLED = "disable_if_enabled";
        DELETE = "delete";
        DELETE_OF_APP = "delete_of_app";
    }
    message {
        INSERT = "insert";
        BY_ID = "by_id";
        LIST = "list";
        LIST_BY_TAG = "list_by_tag";
        APP_AND_EXPUNGED = "app_and_expunged";
        EXPUNGE = "expunge";
        DELETE_OF_APP = "delete_of_app";
        EXPIRED = "expired";
        PRUNE_WINDOW = "prune_window";
        DELETE = "delete";
        HEADS = "heads";
        COUNT_OF_APP = "count_of_app";
    }
    message_tag {
        INSERT = "insert";
        DELETE_OF_APP = "delete_of_app";
        DELETE = "delete";
    }
    endpoint_state {
        GET = "get";
        BY_ID = "by_id";
        UPSERT = "upsert";
        DELETE = "delete";
        COUNT_OPEN = "count_open";
        PROBE_NOW = "probe_now";
    }
    delivery {
        INSERT = "insert";
        ENDPOINT_OF = "endpoint_of";
        DUE_WINDOW = "due_window";
        DUE_OF_ENDPOINT = "due_of_endpoint";
        NEXT_ENDPOINT_HEAD = "next_endpoint_head";
        UNFINISHED_HEAD = "unfinished_head";
        LEASE = "lease";
        FAIL_UNSENDABLE = "fail_unsendable";
        RECORD_OUTCOME = "record_outcome";
        BY_MESSAGE_ENDPOINT = "by_message_endpoint";
        RESTART_ROUND = "restart_round";
        MAKE_DUE = "make_due";
        RECOVER = "recover";
        REQUEUE_ORPHANED = "requeue_orphaned";
        FAIL_WAITING_OF_MESSAGE = "fail_waiting_of_message";
        DELETE_UNFINISHED_OF_ENDPOINT = "delete_unfinished_of_endpoint";
        DELETE_OF_APP = "delete_of_app";
        COUNT_BY_STATUS = "count_by_status";
        LIST_OF_ENDPOINT = "list_of_endpoint";
        LIST_OF_MESSAGE = "list_of_message";
        DELETE_OF_MESSAGE = "delete_of_message";
        DEPTH_DUE = "depth_due";
        DEPTH_LATER = "depth_later";
        DEPTH_IN_FLIGHT = "depth_in_flight";
        COUNT_DEAD = "count_dead";
        REQUEUE = "requeue";
        INSERT_MISSING = "insert_missing";
        DEAD_LETTERS_OF_ENDPOINT = "dead_letters_of_endpoint";
        DEAD_LETTERS_OF_APP = "dead_letters_of_app";
        REPLAYABLE = "replayable";
        COUNT_REPLAYABLE = "count_replayable";
        COUNT_OF_APP = "count_of_app";
    }
    attempt {
        INSERT = "insert";
        GET = "get";
        LIST_OF_APP = "list_of_app";
        LIST_OF_ENDPOINT = "list_of_endpoint";
        LIST_OF_MESSAGE = "list_of_message";
        EXPUNGE = "expunge";
        DELETE_OF_APP = "delete_of_app";
        DELETE_OF_MESSAGE = "delete_of_message";
        PRUNE = "prune";
        COUNT_BY_STATUS = "count_by_status";
        COUNT_OF_APP = "count_of_app";
    }
    source {
        INSERT = "insert";
        UPDATE = "update";
        LIST = "list";
        OF_KIND = "of_kind";
        BY_TOKEN = "by_token";
        SET_TOKEN = "set_token";
        DELETE = "delete";
    }
    source_token {
        INSERT = "insert";
        DELETE_EXPIRED_OF_SOURCE = "delete_expired_of_source";
        COUNT_RETIRED = "count_retired";
        RETIRE_CURRENT = "retire_current";
        DELETE_OF_SOURCE = "delete_of_source";
        PURGE = "purge";
    }
    inbound_dedupe {
        INSERT = "insert";
        DELETE_OF_SOURCE = "delete_of_source";
        PURGE = "purge";
    }
    integration {
        INSERT = "insert";
        UPDATE = "update";
        GET = "get";
        LIST = "list";
        ROTATE_KEY = "rotate_key";
        DELETE = "delete";
        DELETE_OF_APP = "delete_of_app";
    }
    portal_token {
        INSERT = "insert";
        GET = "get";
        REVOKE = "revoke";
        EXPIRE_ALL = "expire_all";
        EXPIRE_SESSION = "expire_session";
        PURGE = "purge";
    }
    idempotency {
        PEEK = "peek";
        BEGIN = "begin";
        RENEW = "renew";
        FINISH = "finish";
        ABANDON = "abandon";
        PURGE = "purge";
        DELETE_OF_MESSAGE = "delete_of_message";
    }
    health {
        PING = "ping";
    }
    background_task {
        INSERT = "insert";
        GET = "get";
        LIST = "list";
        CLAIMABLE = "claimable";
        LEASE = "lease";
        FENCED_DATA = "fenced_data";
        ADVANCE = "advance";
        PURGE = "purge";
    }
}

/// The lookups by id or by a second unique key
/// ([`ByIdOrKey`](crate::sqlite::db::ByIdOrKey)): one statement shape,
/// instantiated per table.
pub(crate) mod by_id_or_key {
    use super::super::db::ByIdOrKey;
    use super::rows;

    /// An application by id or uid within its organisation.
    pub(crate) static APPLICATION: ByIdOrKey =
        ByIdOrKey::new("application", "a", rows::APP_COLS, "org_id", "uid");
    /// An endpoint by id or uid within its application.
    pub(crate) static ENDPOINT: ByIdOrKey =
        ByIdOrKey::new("endpoint", "e", rows::ENDPOINT_COLS, "app_id", "uid");
    /// A source by id or uid within its organisation.
    pub(crate) static SOURCE: ByIdOrKey =
        ByIdOrKey::new("source", "s", rows::SOURCE_COLS, "org_id", "uid");
    /// A message by id or event id within its application.
    pub(crate) static MESSAGE: ByIdOrKey =
        ByIdOrKey::new("message", "m", rows::MESSAGE_COLS, "app_id", "event_id");

    /// Every lookup, for the tests.
    #[cfg(test)]
    pub(crate) static ALL: &[&ByIdOrKey] = &[&APPLICATION, &ENDPOINT, &SOURCE, &MESSAGE];
}

/// Renders every statement, so that a placeholder nobody knows fails the open instead of a
/// query later.
pub(crate) fn check_all() -> Result<(), String> {
    ALL.iter().try_for_each(|s| s.check())
}

#[cfg(test)]
mod tests;
