UPDATE event_type SET description = :description, schemas = :schemas, archived = :archived,
    deprecated = :deprecated, feature_flag = :feature_flag, updated_at = :updated_at
WHERE org_id = :org_id AND name = :name
