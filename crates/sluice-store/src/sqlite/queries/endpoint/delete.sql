DELETE FROM endpoint WHERE id = ?1 AND app_id = ?2
