-- $1 source_id. Rotated-out tokens of the source that are still valid (the expired ones
-- were deleted).
SELECT COUNT(*) FROM source_token WHERE source_id = $1 AND expires_at IS NOT NULL
