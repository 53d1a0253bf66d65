DELETE FROM integration WHERE app_id = ?1
