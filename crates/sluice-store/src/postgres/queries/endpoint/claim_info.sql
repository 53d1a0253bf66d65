-- For the claim, each endpoint $1: its application, whether it is disabled, and its
-- deliveries in flight at $2 (Sending under an unexpired lease) on every node, and those
-- whose lease is in [$3, $4), the leases this node hands out.
SELECT e.id, e.app_id, e.disabled, f.total, f.own FROM endpoint e
CROSS JOIN LATERAL (
    SELECT count(*) AS total,
        count(*) FILTER (WHERE d.lease >= $3 AND d.lease < $4) AS own
    FROM delivery d
    WHERE d.endpoint_id = e.id AND d.status = {status.sending} AND d.next_attempt_at > $2
) f
WHERE e.id = ANY($1)
