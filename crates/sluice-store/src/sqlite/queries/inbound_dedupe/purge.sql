DELETE FROM inbound_dedupe WHERE created_at < ?1
