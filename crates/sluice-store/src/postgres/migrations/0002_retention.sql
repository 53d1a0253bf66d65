-- Sluice schema: payload retention and trace context of messages.

-- payload_expires_at: when the payload is due to be removed (ms; `payloadRetentionPeriod`
-- or the server's default, set at publish). NULL keeps it (rows written by an older
-- binary; the backfill below covers the rows that exist now). trace_context: the W3C
-- `traceparent` of the publish request's span, so the dispatcher's attempt spans join the
-- publish's trace; NULL when tracing is off.
ALTER TABLE message ADD COLUMN payload_expires_at BIGINT;
ALTER TABLE message ADD COLUMN trace_context TEXT;

-- Messages that existed before retention get the default period (90 days) from their
-- creation, as a message published now without `payloadRetentionPeriod` does.
UPDATE message SET payload_expires_at = created_at + 7776000000 WHERE expunged_at IS NULL;

-- The cleaner's walk: payloads still there, soonest expiry first. Once expunged a row
-- leaves the index, so the cleaner never reads what it already did.
CREATE INDEX message_payload_expiry ON message (payload_expires_at)
    WHERE expunged_at IS NULL AND payload_expires_at IS NOT NULL;
