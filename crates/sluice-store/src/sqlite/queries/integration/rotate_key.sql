UPDATE integration SET key = ?3, key_hash = ?4, updated_at = ?5 WHERE id = ?1 AND app_id = ?2
