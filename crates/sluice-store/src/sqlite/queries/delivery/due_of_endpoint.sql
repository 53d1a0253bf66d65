-- The claim's slow path: one endpoint's oldest due rows.
SELECT id FROM delivery INDEXED BY delivery_endpoint_due
WHERE status IN ({status.pending},{status.sending}) AND endpoint_id = ?1
    AND next_attempt_at <= ?2
ORDER BY next_attempt_at LIMIT ?3
