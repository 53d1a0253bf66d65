-- Applies a batch of outcomes: deliveries $1, leases $2, new statuses $3, next attempt
-- times $4, 1 when a try was made $5, try times $6. A delivery changes only while it is
-- still in flight under the outcome's lease: a claimer whose lease expired cannot
-- overwrite a newer claimer's result. updated_at moves only with a try. Returns the
-- deliveries changed.
UPDATE delivery d SET status = o.status, next_attempt_at = o.next, lease = NULL,
    attempts = d.attempts + o.tried, round_attempts = d.round_attempts + o.tried,
    updated_at = COALESCE(o.tried_at, d.updated_at)
FROM unnest($1::text[], $2::bigint[], $3::int[], $4::bigint[], $5::int[], $6::bigint[])
    AS o(id, lease, status, next, tried, tried_at)
WHERE d.id = o.id AND d.status = {status.sending} AND d.lease = o.lease
RETURNING d.id
