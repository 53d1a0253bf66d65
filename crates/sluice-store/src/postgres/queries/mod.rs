//! Every SQL statement of the PostgreSQL backend, one `.sql` file each under
//! `queries/<table>/<verb>.sql`, named as the SQLite backend's twin where one exists
//! (`sqlite/queries/README.md` has the convention), compiled in and rendered by
//! [`crate::sql`] with the placeholders of [`super::rows::vars`]. Parameters are `$1`,
//! `$2`, … in the order each file's header comment lists them.
//!
//! What is not here is assembled in Rust on purpose: list filters ([`super::page`]),
//! and transaction control. Batched multi-row writes are statements too: they take arrays and
//! `unnest` them.

use crate::sql::Sql;

/// Declares the statements of each table as `static`s and lists them all in [`ALL`].
macro_rules! statements {
    ($($table:ident { $($name:ident = $file:literal;)* })*) => {
        $(
            #[doc = concat!("Statements on `", stringify!($table), "`.")]
            #[allow(dead_code)]
            pub(crate) mod $table {
                use crate::sql::Sql;
                $(
                    #[doc = concat!("`queries/", stringify!($table), "/", $file, ".sql`")]
                    pub(crate) static $name: Sql = Sql::new(
                        concat!(stringify!($table), "/", $file, ".sql"),
                        include_str!(concat!(stringify!($table), "/", $file, ".sql")),
                        super::super::rows::vars,
                    );
                )*
            }
        )*

        /// Every statement, for the check at connect and the tests.
        pub(crate) static ALL: &[&Sql] = &[$($(&$table::$name,)*)*];
    };
}

statements! {
    application {
        INSERT = "insert";
        UPDATE = "update";
        LOCK = "lock";
        GET = "get";
        BY_ID = "by_id";
        EXISTS = "exists";
        LIST = "list";
        DELETE = "delete";
    }
    event_type {
        INSERT = "insert";
        UPDATE = "update";
        LOCK = "lock";
        GET = "get";
        LIST = "list";
        DELETE = "delete";
    }
    endpoint {
        INSERT = "insert";
        UPDATE = "update";
        GET = "get";
        LOCK = "lock";
        DISABLED = "disabled";
        LIST = "list";
        DELETE = "delete";
        DELETE_OF_APP = "delete_of_app";
        BY_IDS = "by_ids";
        CLAIM_INFO = "claim_info";
        DISABLE_IF_ENABLED = "disable_if_enabled";
        LOCK_OF_OUTCOMES = "lock_of_outcomes";
        ENABLED_FILTERS = "enabled_filters";
        ENABLED_OF = "enabled_of";
        OF_APP = "of_app";
    }
    message {
        GET = "get";
        LIST = "list";
        LIST_BY_TAG = "list_by_tag";
        EXPUNGE = "expunge";
        DELETE_OF_APP = "delete_of_app";
        APP_AND_EXPUNGED = "app_and_expunged";
        BY_IDS = "by_ids";
        INSERT = "insert";
        EXPIRE = "expire";
        PRUNE_WINDOW = "prune_window";
        PRUNE = "prune";
        HEADS = "heads";
        COUNT_OF_APP = "count_of_app";
    }
    message_tag {
        DELETE_OF_APP = "delete_of_app";
        INSERT = "insert";
        DELETE_OF_MESSAGES = "delete_of_messages";
    }
    endpoint_state {
        OF_OUTCOMES = "of_outcomes";
        LOCK = "lock";
        OF_ENDPOINTS = "of_endpoints";
        UPSERT = "upsert";
        RESERVE = "reserve";
        DELETE = "delete";
        COUNT_OPEN = "count_open";
        PROBE_NOW = "probe_now";
    }
    delivery {
        ENDPOINT_OF = "endpoint_of";
        DELETE_OF_APP = "delete_of_app";
        DELETE_UNFINISHED_OF_ENDPOINT = "delete_unfinished_of_endpoint";
        FAIL_WAITING_OF_MESSAGE = "fail_waiting_of_message";
        COUNT_BY_STATUS = "count_by_status";
        LIST_OF_ENDPOINT = "list_of_endpoint";
        LIST_OF_MESSAGE = "list_of_message";
        BY_MESSAGE_ENDPOINT = "by_message_endpoint";
        CLAIM_LOCK = "claim_lock";
        DUE_OF_ENDPOINTS = "due_of_endpoints";
        DUE_WINDOW = "due_window";
        ENDPOINT_HEADS = "endpoint_heads";
        FAIL_UNSENDABLE = "fail_unsendable";
        INSERT = "insert";
        INSERT_BATCH = "insert_batch";
        LEASE = "lease";
        MAKE_DUE = "make_due";
        RECORD_OUTCOME = "record_outcome";
        RECOVER = "recover";
        RESTART_ROUND = "restart_round";
        UNFINISHED_HEAD = "unfinished_head";
        FAIL_WAITING_OF_MESSAGES = "fail_waiting_of_messages";
        DELETE_OF_MESSAGES = "delete_of_messages";
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
        GET = "get";
        LIST = "list";
        EXPUNGE = "expunge";
        DELETE_OF_APP = "delete_of_app";
        INSERT = "insert";
        DELETE_OF_MESSAGES = "delete_of_messages";
        PRUNE = "prune";
        COUNT_BY_STATUS = "count_by_status";
        COUNT_OF_APP = "count_of_app";
    }
    source {
        INSERT = "insert";
        UPDATE = "update";
        GET = "get";
        LOCK = "lock";
        LOCK_BY_ID = "lock_by_id";
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
        DELETE_OF_SOURCE = "delete_of_source";
        PURGE = "purge";
        INSERT = "insert";
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
        DELETE_OF_MESSAGES = "delete_of_messages";
    }
    health {
        PING = "ping";
    }
    background_task {
        INSERT = "insert";
        GET = "get";
        LIST = "list";
        CLAIM = "claim";
        FENCED_DATA = "fenced_data";
        ADVANCE = "advance";
        PURGE = "purge";
    }
    job_lease {
        TAKE = "take";
    }
}

/// Renders every statement, so that a placeholder nobody knows fails the connect instead of
/// a query later.
pub(crate) fn check_all() -> Result<(), String> {
    ALL.iter().try_for_each(|s: &&Sql| s.check())
}
