-- Dead letters (failed deliveries, no tries left), counting at most ?1 entries of the
-- partial index delivery_endpoint_dead.
SELECT COUNT(*) FROM (SELECT 1 FROM delivery INDEXED BY delivery_endpoint_dead
    WHERE status = {status.fail} LIMIT ?1)
