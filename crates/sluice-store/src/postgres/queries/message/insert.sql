-- The messages of one ingest batch, one array per column: ids $1, apps $2, event types $3,
-- event ids $4, channels $5, payloads $6, created_at $7, content types $8, headers $9,
-- tags $10, deliver_at $11, payload_expires_at $12, trace_context $13. Returns the ids
-- inserted: a message whose (app, event id) is taken, by an earlier message or an earlier
-- row of the batch, is not.
INSERT INTO message (id, app_id, event_type, event_id, channels, payload, created_at,
    content_type, headers, tags, deliver_at, payload_expires_at, trace_context)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::bigint[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[],
    $13::text[])
ON CONFLICT DO NOTHING
RETURNING id
