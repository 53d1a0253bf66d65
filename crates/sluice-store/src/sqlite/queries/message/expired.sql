-- ?1 now, ?2 batch size. Messages whose payload is due to go, soonest expiry first: the
-- retention cleaner's walk, on the partial index of payloads still there.
SELECT id, app_id FROM message INDEXED BY message_payload_expiry
WHERE expunged_at IS NULL AND payload_expires_at IS NOT NULL AND payload_expires_at <= ?1
ORDER BY payload_expires_at LIMIT ?2
