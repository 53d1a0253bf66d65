-- $1 app_id, $2 at, $3 now. `valid_until > $2` leaves tokens that already end sooner alone
-- (and makes the count mean "shortened"); `> $3` skips the dead rows waiting for the purge.
UPDATE portal_token SET valid_until = $2
WHERE app_id = $1 AND valid_until > $2 AND valid_until > $3
