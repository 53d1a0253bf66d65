-- The endpoints of the deliveries $1.
SELECT id, endpoint_id FROM delivery WHERE id = ANY($1)
