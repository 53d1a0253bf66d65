DELETE FROM endpoint WHERE app_id = ?1
