-- The tags of one ingest batch: apps $1, tags $2, messages $3. A repeated tag is stored once.
INSERT INTO message_tag (app_id, tag, msg_id)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
ON CONFLICT DO NOTHING
