-- The endpoint's id if it belongs to the application.
SELECT id FROM endpoint WHERE id = ?1 AND app_id = ?2
