-- $1 the start of the dedupe window
DELETE FROM inbound_dedupe WHERE created_at < $1
