-- $1 now, $2 batch size. Empties the payloads due to go, soonest expiry first, as
-- `expunge.sql` does one message; rows another node holds are skipped (it is on them).
WITH due AS (
    SELECT id FROM message
    WHERE expunged_at IS NULL AND payload_expires_at IS NOT NULL AND payload_expires_at <= $1
    ORDER BY payload_expires_at LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE message m SET payload = '',
    headers = CASE WHEN m.headers IS NULL THEN NULL ELSE '[]' END,
    expunged_at = $1
FROM due WHERE m.id = due.id
RETURNING m.id
