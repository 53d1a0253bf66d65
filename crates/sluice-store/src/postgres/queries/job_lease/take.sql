-- Takes the lease of job $1 for holder $2 until $4, if it is free at $3 (expired, or
-- already this holder's); returns a row only when taken.
INSERT INTO job_lease (name, holder, lease_until) VALUES ($1, $2, $4)
ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, lease_until = EXCLUDED.lease_until
    WHERE job_lease.lease_until <= $3 OR job_lease.holder = EXCLUDED.holder
RETURNING name
