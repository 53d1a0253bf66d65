-- A pending delivery created at ?5 and due at ?7.
INSERT INTO delivery (id, msg_id, endpoint_id, app_id, status, attempts, round_attempts,
    next_attempt_at, lease, trigger, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, {status.pending}, 0, 0, ?7, NULL, ?6, ?5, ?5)
