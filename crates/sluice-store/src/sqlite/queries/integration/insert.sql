INSERT INTO integration (id, app_id, name, feature_flags, key, key_hash, created_at, updated_at)
VALUES (:id, :app_id, :name, :feature_flags, :key, :key_hash, :created_at, :updated_at)
