-- The start of a list query ($1 app_id): the message or endpoint scope, filters and the
-- page are appended (views.rs, page.rs). Unlike SQLite's three starts, one suffices: the
-- planner picks attempt_msg, attempt_endpoint or attempt_app from the terms by its
-- statistics.
SELECT {cols.attempt} FROM attempt t WHERE t.app_id = $1
