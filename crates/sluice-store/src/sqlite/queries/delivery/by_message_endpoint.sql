SELECT id, status FROM delivery WHERE msg_id = ?1 AND endpoint_id = ?2
