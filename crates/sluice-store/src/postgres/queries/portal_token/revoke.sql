-- $1 id, $2 at. Validity only ever shortens.
UPDATE portal_token SET valid_until = LEAST(valid_until, $2) WHERE id = $1
