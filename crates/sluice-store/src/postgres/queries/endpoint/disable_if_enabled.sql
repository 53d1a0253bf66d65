-- Sluice disables the endpoints $1 at the times $2 (410 Gone, or failing too long);
-- returns those that were still enabled, so each disable is reported once.
UPDATE endpoint e SET disabled = TRUE, updated_at = GREATEST(e.updated_at, o.at)
FROM unnest($1::text[], $2::bigint[]) AS o(id, at)
WHERE e.id = o.id AND NOT e.disabled
RETURNING e.id
