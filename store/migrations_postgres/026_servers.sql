-- Servers sharing the database and the run each fanout row belongs to:
-- the twin of the SQLite migration 026 (see there).
CREATE TABLE servers (
    instance   TEXT   PRIMARY KEY,
    run        TEXT   NOT NULL,
    beat_at_ms BIGINT NOT NULL
);
DROP TABLE server_heartbeat;
ALTER TABLE fanouts ADD COLUMN owner TEXT NOT NULL DEFAULT '';
UPDATE deliveries SET next_attempt_ms = 0 WHERE status = 'pending' AND attempts = 0;
