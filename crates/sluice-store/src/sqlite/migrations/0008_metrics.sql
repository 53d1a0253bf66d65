-- Queue depths for /metrics, read every scrape, must cost what the work in question holds,
-- not what the table holds:
-- deliveries in flight (sending rows only; PostgreSQL has had this index from the start),
CREATE INDEX IF NOT EXISTS delivery_sending ON delivery (endpoint_id) WHERE status = 3;
-- and dead letters (failed rows only), by endpoint and age, as a dead-letter list reads them.
CREATE INDEX IF NOT EXISTS delivery_dead ON delivery (endpoint_id, created_at) WHERE status = 2;
