-- Sluice schema: dead letters and background tasks (issue 9, redrive).
--
-- A task is a row: what was asked (params), how far it got (cursor) and what it found
-- (data, shown by the API), and a lease. status: 0 running, 1 finished, 2 failed. A runner
-- leases a running task until lease_until; each claim increments lease_token, and every
-- batch the runner writes checks it, so a runner that lost its lease writes nothing.
CREATE TABLE background_task (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    app_id      TEXT,
    endpoint_id TEXT,
    kind        TEXT NOT NULL,
    status      INTEGER NOT NULL,
    params      TEXT NOT NULL,
    data        TEXT NOT NULL,
    cursor      TEXT,
    lease_holder TEXT,
    lease_until INTEGER,
    lease_token INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX background_task_org ON background_task (org_id, id);
-- The claim's walk: running tasks only.
CREATE INDEX background_task_running ON background_task (id) WHERE status = 0;

-- Dead letters (status 2, fail) per endpoint and per application, by delivery id: the
-- dead-letter lists and recover walk only failed rows.
CREATE INDEX delivery_endpoint_dead ON delivery (endpoint_id, id) WHERE status = 2;
CREATE INDEX delivery_app_dead ON delivery (app_id, id) WHERE status = 2;
