INSERT INTO source (id, org_id, app_id, uid, name, kind, config, token, metadata, created_at,
    updated_at)
VALUES (:id, :org_id, :app_id, :uid, :name, :kind, :config, :token, :metadata, :created_at,
    :updated_at)
