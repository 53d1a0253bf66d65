-- $1 id, $2 sealed token, $3 now
UPDATE source SET token = $2, updated_at = $3 WHERE id = $1
