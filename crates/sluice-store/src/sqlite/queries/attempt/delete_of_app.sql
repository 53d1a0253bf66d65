DELETE FROM attempt WHERE app_id = ?1
