-- Leases the chosen deliveries $1 under the fencing tokens $2, each until its own expiry $3
-- (its throttle send time plus the lease), at $4. A row that another transaction is
-- writing (an outcome, a resend) is skipped, not waited for, and a row no longer due is
-- left alone; the caller gets back the rows leased.
WITH picked AS (
    SELECT id FROM delivery
    WHERE id = ANY($1) AND status IN ({status.pending},{status.sending})
        AND next_attempt_at <= $4
    FOR UPDATE SKIP LOCKED
)
UPDATE delivery d SET status = {status.sending}, next_attempt_at = l.expires,
    lease = l.lease, updated_at = $4
FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS l(id, lease, expires)
WHERE d.id = l.id AND d.id IN (SELECT id FROM picked)
RETURNING {cols.delivery}, d.lease
