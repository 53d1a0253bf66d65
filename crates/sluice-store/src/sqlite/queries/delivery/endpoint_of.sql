-- The endpoint of a delivery.
SELECT endpoint_id FROM delivery WHERE id = ?1
