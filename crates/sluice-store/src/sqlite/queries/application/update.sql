UPDATE application SET uid = :uid, name = :name, throttle_rate = :throttle_rate,
    metadata = :metadata, updated_at = :updated_at
WHERE id = :id AND org_id = :org_id
