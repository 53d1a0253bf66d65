-- One pending delivery $1 of message $2 to endpoint $3 of app $4, created at $5 with
-- trigger $6, due at $7. Nothing when the message already has a delivery to the endpoint
-- (a concurrent resend made it).
INSERT INTO delivery (id, msg_id, endpoint_id, app_id, status, attempts, round_attempts,
    next_attempt_at, lease, trigger, created_at, updated_at)
VALUES ($1, $2, $3, $4, {status.pending}, 0, 0, $7, NULL, $6, $5, $5)
ON CONFLICT (msg_id, endpoint_id) DO NOTHING
