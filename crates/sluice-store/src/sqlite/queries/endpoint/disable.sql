-- An outcome that says the endpoint is gone: by its attempt's endpoint (?2), or by the
-- delivery's (?1) when no try was made.
UPDATE endpoint SET disabled = 1, updated_at = COALESCE(?3, updated_at)
WHERE id = COALESCE(?2, (SELECT endpoint_id FROM delivery WHERE id = ?1))
