-- $1 token hash. The source it belongs to, and the token's expiry (the column after the
-- source's).
SELECT {cols.source}, t.expires_at FROM source_token t
    JOIN source s ON s.id = t.source_id
WHERE t.hash = $1
