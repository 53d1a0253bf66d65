-- Deliveries in flight at ?1: sending under a lease that has not expired (an expired one is
-- due again). delivery_sending holds only sending rows, as many as the dispatchers hold.
SELECT COUNT(*) FROM delivery INDEXED BY delivery_sending
WHERE status = {status.sending} AND next_attempt_at > ?1
