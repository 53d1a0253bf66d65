-- $1 source_id, $2 now
DELETE FROM source_token WHERE source_id = $1 AND expires_at <= $2
