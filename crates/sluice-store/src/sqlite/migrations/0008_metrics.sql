-- Queue depths for /metrics, read every scrape, must cost what the work in question holds,
-- not what the table holds: deliveries in flight (sending rows only; PostgreSQL has had
-- this index from the start).
CREATE INDEX IF NOT EXISTS delivery_sending ON delivery (endpoint_id) WHERE status = 3;
-- (Dead letters are counted on the redrive migration's delivery_endpoint_dead.)
