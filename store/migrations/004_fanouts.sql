-- A change whose events match enabled endpoints owes them webhooks. Its
-- transaction writes one row here per such event, naming the endpoints,
-- instead of a leased delivery row per endpoint: the request that made the
-- change attempts them and then writes each delivery once, with the
-- outcome of its first attempt, removing the row in the same transaction.
-- A row still here after its lease (the process died, or never attempted
-- them) becomes pending deliveries for the retry worker. Only events in
-- flight are here, so the table stays a page or two and costs a change one
-- small insert where five index entries and an update used to be.
CREATE TABLE fanouts (
    event_id       TEXT    PRIMARY KEY,
    endpoint_ids   TEXT    NOT NULL, -- comma list, ascending
    lease_until_ms INTEGER NOT NULL,
    created_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;

-- Deliveries are no longer looked up by event.
DROP INDEX deliveries_event;

-- The settings list counts each endpoint's pending and recently failed
-- deliveries. Partial indexes hold only those rows, so a delivered webhook,
-- the common case, writes no entry in them.
DROP INDEX deliveries_endpoint_status;
CREATE INDEX deliveries_endpoint_pending ON deliveries(endpoint_id) WHERE status = 'pending';
CREATE INDEX deliveries_endpoint_failed ON deliveries(endpoint_id, finished_at_ms) WHERE status = 'failed';

-- Attempts are pruned by id range (ids grow with time), not by an index on
-- their start time.
DROP INDEX delivery_attempts_started;
