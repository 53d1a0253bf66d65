-- `OR IGNORE` makes a retried `record_outcomes` (after a failed commit was reported but the
-- caller cannot know what happened) harmless.
INSERT OR IGNORE INTO attempt (id, delivery_id, msg_id, endpoint_id, app_id, url, response,
    response_status_code, response_duration_ms, status, trigger, error_class, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
