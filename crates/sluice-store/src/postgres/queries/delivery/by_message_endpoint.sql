-- The delivery of message $1 to endpoint $2, locked for the resend that reads it.
SELECT id, status FROM delivery WHERE msg_id = $1 AND endpoint_id = $2 FOR UPDATE
