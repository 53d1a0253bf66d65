-- The fan-out's candidates: the application's enabled endpoints with their filters.
SELECT id, event_types, channels FROM endpoint WHERE app_id = ?1 AND disabled = 0
