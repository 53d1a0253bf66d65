-- ?1 app_id, ?2 tag, ?3 msg_id: one tag row of a message that goes (by its whole key).
DELETE FROM message_tag WHERE app_id = ?1 AND tag = ?2 AND msg_id = ?3
