-- A delivery $1 waiting for a retry becomes due by $2, keeping its round.
UPDATE delivery SET next_attempt_at = LEAST(next_attempt_at, $2), updated_at = $2
WHERE id = $1
