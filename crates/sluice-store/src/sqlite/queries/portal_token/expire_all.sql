-- `valid_until > ?2` leaves tokens that already end sooner alone (and makes the count mean
-- "shortened"); `> ?3` (now) skips the dead rows waiting for the purge.
UPDATE portal_token SET valid_until = ?2
WHERE app_id = ?1 AND valid_until > ?2 AND valid_until > ?3
