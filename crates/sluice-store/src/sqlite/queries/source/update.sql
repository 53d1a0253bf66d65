-- The token is changed only by set_token.sql (a rotation).
UPDATE source SET uid = :uid, name = :name, kind = :kind, config = :config,
    metadata = :metadata, updated_at = :updated_at
WHERE id = :id AND org_id = :org_id
