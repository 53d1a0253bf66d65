-- $1 msg_id, $2 now. After an expunge, the message's deliveries waiting for a try can
-- never be sent.
UPDATE delivery SET status = {status.fail}, next_attempt_at = NULL, lease = NULL,
    updated_at = $2
WHERE msg_id = $1 AND status = {status.pending}
