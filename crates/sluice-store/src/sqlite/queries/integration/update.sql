-- Name and feature flags only; the key is changed by rotate_key.sql.
UPDATE integration SET name = :name, feature_flags = :feature_flags, updated_at = :updated_at
WHERE id = :id AND app_id = :app_id
