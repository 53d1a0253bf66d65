-- Outcomes that say the endpoint is gone (410): by the attempt's endpoint ($2), or by the
-- delivery's ($1) when no try was made; updated_at becomes the try time $3 if any.
UPDATE endpoint e SET disabled = TRUE, updated_at = COALESCE(o.at, e.updated_at)
FROM unnest($1::text[], $2::text[], $3::bigint[]) AS o(delivery_id, endpoint_id, at)
WHERE e.id = COALESCE(o.endpoint_id,
    (SELECT d.endpoint_id FROM delivery d WHERE d.id = o.delivery_id))
