-- The tries of one batch of outcomes, one array per column: ids $1, deliveries $2,
-- messages $3, endpoints $4, apps $5, urls $6, responses $7, status codes $8, durations $9,
-- statuses $10, triggers $11, error classes $12, created_at $13. `ON CONFLICT` makes a
-- retried `record_outcomes` (after a failed commit was reported but the caller cannot know
-- what happened) harmless.
INSERT INTO attempt (id, delivery_id, msg_id, endpoint_id, app_id, url, response,
    response_status_code, response_duration_ms, status, trigger, error_class, created_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::int[], $9::bigint[], $10::int[], $11::int[], $12::text[], $13::bigint[])
ON CONFLICT DO NOTHING
