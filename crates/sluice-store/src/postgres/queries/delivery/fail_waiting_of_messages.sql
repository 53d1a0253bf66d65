-- $1 message ids, $2 now. After a retention expunge, the deliveries of those messages
-- waiting for a try can never be sent.
UPDATE delivery SET status = {status.fail}, next_attempt_at = NULL, lease = NULL,
    updated_at = $2
WHERE msg_id = ANY($1::text[]) AND status = {status.pending}
