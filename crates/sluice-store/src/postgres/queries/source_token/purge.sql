-- $1 now
DELETE FROM source_token WHERE expires_at IS NOT NULL AND expires_at <= $1
