UPDATE attempt SET response = ?4 WHERE id = ?1 AND app_id = ?2 AND msg_id = ?3
