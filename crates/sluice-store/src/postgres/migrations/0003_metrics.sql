-- Dead letters for /metrics (read every scrape) must cost what the dead-letter queue holds,
-- not what the delivery table holds: failed rows only, by endpoint and age, as a
-- dead-letter list reads them. (In-flight rows already have delivery_sending.)
CREATE INDEX IF NOT EXISTS delivery_dead ON delivery (endpoint_id, created_at) WHERE status = 2;
