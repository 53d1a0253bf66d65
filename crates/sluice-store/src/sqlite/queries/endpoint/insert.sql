INSERT INTO endpoint (id, app_id, uid, url, description, version, disabled, event_types,
    channels, throttle_rate, metadata, headers, secret, retired_secrets, created_at, updated_at)
VALUES (:id, :app_id, :uid, :url, :description, :version, :disabled, :event_types,
    :channels, :throttle_rate, :metadata, :headers, :secret, :retired_secrets, :created_at,
    :updated_at)
