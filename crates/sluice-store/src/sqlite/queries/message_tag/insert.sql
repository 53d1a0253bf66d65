-- A repeated tag is stored once.
INSERT OR IGNORE INTO message_tag (app_id, tag, msg_id) VALUES (?1, ?2, ?3)
