-- A manual delivery of message ?2 (of app ?4) to endpoint ?3, due at ?5, unless the message
-- has one to that endpoint already or lost its payload.
INSERT INTO delivery (id, msg_id, endpoint_id, app_id, status, attempts, round_attempts,
    next_attempt_at, lease, trigger, created_at, updated_at)
SELECT ?1, m.id, ?3, m.app_id, {status.pending}, 0, 0, ?5, NULL, {trigger.manual}, ?5, ?5
FROM message m
WHERE m.id = ?2 AND m.app_id = ?4 AND m.expunged_at IS NULL
ON CONFLICT (msg_id, endpoint_id) DO NOTHING
