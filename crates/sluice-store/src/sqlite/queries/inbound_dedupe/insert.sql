-- Changes no row when the source has seen the key inside the dedupe window.
INSERT OR IGNORE INTO inbound_dedupe (source_id, event_id, created_at) VALUES (?1, ?2, ?3)
