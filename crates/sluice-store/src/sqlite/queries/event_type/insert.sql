INSERT INTO event_type (org_id, name, description, schemas, archived, deprecated, feature_flag,
    created_at, updated_at)
VALUES (:org_id, :name, :description, :schemas, :archived, :deprecated, :feature_flag,
    :created_at, :updated_at)
