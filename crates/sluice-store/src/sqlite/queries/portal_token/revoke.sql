-- Validity only ever shortens.
UPDATE portal_token SET valid_until = MIN(valid_until, ?2) WHERE id = ?1
