UPDATE endpoint SET uid = :uid, url = :url, description = :description, version = :version,
    disabled = :disabled, event_types = :event_types, channels = :channels,
    throttle_rate = :throttle_rate, metadata = :metadata, headers = :headers,
    secret = :secret, retired_secrets = :retired_secrets, updated_at = :updated_at
WHERE id = :id AND app_id = :app_id
