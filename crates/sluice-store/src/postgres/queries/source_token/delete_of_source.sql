-- $1 source_id
DELETE FROM source_token WHERE source_id = $1
