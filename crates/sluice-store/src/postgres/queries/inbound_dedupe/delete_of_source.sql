-- $1 source_id
DELETE FROM inbound_dedupe WHERE source_id = $1
