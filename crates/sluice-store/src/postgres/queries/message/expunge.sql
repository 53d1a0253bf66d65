-- $1 id, $2 app_id, $3 now. Empties the payload and the inbound headers (an inbound
-- message keeps its content type and reads as having no headers); the first expunge's
-- time is kept.
UPDATE message SET payload = '',
    headers = CASE WHEN headers IS NULL THEN NULL ELSE '[]' END,
    expunged_at = COALESCE(expunged_at, $3)
WHERE id = $1 AND app_id = $2
