-- $1 id, $2 app_id. Locked, so that "went from disabled to enabled" is decided once.
SELECT disabled FROM endpoint WHERE id = $1 AND app_id = $2 FOR UPDATE
