-- Sluice disables an endpoint (410 Gone, or failing too long) at ?2; changes nothing when
-- it is already disabled, so the caller reports each disable once.
UPDATE endpoint SET disabled = 1, updated_at = MAX(updated_at, ?2) WHERE id = ?1 AND disabled = 0
