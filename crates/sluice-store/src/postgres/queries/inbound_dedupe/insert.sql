-- The dedupe keys of one ingest batch: sources $1, keys $2, times $3 (arrays of one
-- length). Returns the keys that were new; a key the source has seen inside the dedupe
-- window, or that an earlier row of the same batch took, returns nothing.
INSERT INTO inbound_dedupe (source_id, event_id, created_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
ON CONFLICT DO NOTHING
RETURNING source_id, event_id
