//! Every SQL statement of the PostgreSQL backend, one `.sql` file each under
//! `queries/<table>/<verb>.sql`, named as the SQLite backend's twin where one exists
//! (`sqlite/queries/README.md` has the convention), compiled in and rendered by
//! [`crate::sql`] with the placeholders of [`super::rows::vars`]. Parameters are `$1`,
//! `$2`, … in the order each file's header comment lists them.
//!
//! What is not here is assembled in Rust on purpose: list filters ([`super::page`]),
//! batched multi-row writes built from arrays (`unnest`), and transaction control.

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
    attempt {
        INSERT = "insert";
    }
    delivery {
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
    }
    endpoint {
        BY_IDS = "by_ids";
        CLAIM_INFO = "claim_info";
        DISABLE = "disable";
        ENABLED_FILTERS = "enabled_filters";
        ENABLED_OF = "enabled_of";
        OF_APP = "of_app";
    }
    health {
        PING = "ping";
    }
    inbound_dedupe {
        INSERT = "insert";
    }
    job_lease {
        TAKE = "take";
    }
    message {
        APP_AND_EXPUNGED = "app_and_expunged";
        BY_IDS = "by_ids";
        INSERT = "insert";
    }
    message_tag {
        INSERT = "insert";
    }
}

/// Renders every statement, so that a placeholder nobody knows fails the connect instead of
/// a query later.
pub(crate) fn check_all() -> Result<(), String> {
    ALL.iter().try_for_each(|s: &&Sql| s.check())
}
