-- Sluice schema, version 4: message tags, scheduled delivery (deliverAt) and expunged
-- payloads, as the Svix API has them.

-- tags: JSON array as given, NULL when none. deliver_at: the requested delivery time (ms);
-- the deliveries carry the due time themselves. expunged_at: when the payload was removed
-- (the payload column is then empty and the inbound headers are gone).
ALTER TABLE message ADD COLUMN tags TEXT;
ALTER TABLE message ADD COLUMN deliver_at INTEGER;
ALTER TABLE message ADD COLUMN expunged_at INTEGER;

-- One row per (message, tag), so that `?tag=` lists walk only the tagged messages, newest
-- first, instead of every message of the application.
CREATE TABLE message_tag (
    app_id TEXT NOT NULL,
    tag    TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    PRIMARY KEY (app_id, tag, msg_id)
) WITHOUT ROWID;

-- The message a cached idempotent response shows (its body is sealed, so it cannot be
-- searched): expunging the message drops those cached copies of its payload.
ALTER TABLE idempotency ADD COLUMN msg_id TEXT;
CREATE INDEX idempotency_msg ON idempotency (msg_id) WHERE msg_id IS NOT NULL;
