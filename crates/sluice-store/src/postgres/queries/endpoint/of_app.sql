-- The endpoint's id ($1) if it belongs to the application $2.
SELECT id FROM endpoint WHERE id = $1 AND app_id = $2
