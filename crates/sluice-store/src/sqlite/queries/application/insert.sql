INSERT INTO application (id, org_id, uid, name, throttle_rate, metadata, created_at, updated_at)
VALUES (:id, :org_id, :uid, :name, :throttle_rate, :metadata, :created_at, :updated_at)
