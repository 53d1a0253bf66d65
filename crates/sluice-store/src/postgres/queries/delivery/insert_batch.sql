-- The deliveries of one ingest batch: ids $1, messages $2, endpoints $3, apps $4, created
-- at $5, due at $6. Pending, scheduled, no try yet.
INSERT INTO delivery (id, msg_id, endpoint_id, app_id, status, attempts, round_attempts,
    next_attempt_at, lease, trigger, created_at, updated_at)
SELECT n.id, n.msg_id, n.endpoint_id, n.app_id, {status.pending}, 0, 0, n.due, NULL,
    {trigger.scheduled}, n.created, n.created
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
    AS n(id, msg_id, endpoint_id, app_id, created, due)
