DELETE FROM message WHERE app_id = ?1
