-- The fan-out's candidates for one ingest batch: the enabled endpoints of the apps $1 with
-- their filters, and the endpoints $2 named by `only_endpoint` (even disabled).
SELECT id, app_id, disabled, event_types, channels FROM endpoint
WHERE app_id = ANY($1) AND (NOT disabled OR id = ANY($2))
