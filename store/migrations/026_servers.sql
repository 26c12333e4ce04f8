-- Several servers may share one database (two instances behind a proxy,
-- a restart while the old process drains). Each registers under a stable
-- instance name with the id of its current run, and every fanout row
-- names the run that owes its deliveries. A fanout whose run is not a
-- registered server's current one (the process ended, was replaced by a
-- restart of the same instance, or never was a server) is the retry
-- worker's at once; one of a live run only once its lease has passed.
CREATE TABLE servers (
    instance   TEXT    PRIMARY KEY,
    run        TEXT    NOT NULL,
    beat_at_ms INTEGER NOT NULL
);
DROP TABLE server_heartbeat;
ALTER TABLE fanouts ADD COLUMN owner TEXT NOT NULL DEFAULT '';
-- Before fanouts (migration 004) a fresh event leased its delivery rows
-- to the request; no run owns those now.
UPDATE deliveries SET next_attempt_ms = 0 WHERE status = 'pending' AND attempts = 0;
