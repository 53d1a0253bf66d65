-- $1 now
DELETE FROM portal_token WHERE valid_until <= $1
