-- Webhooks are sent by the running server only, with its own network
-- settings. Another process (the CLI) asks for a test or a redelivery by
-- queuing a send request, which the server's retry worker carries out and
-- answers here; the server's heartbeat tells the CLI that someone will.
CREATE TABLE IF NOT EXISTS send_requests (
    id              INTEGER PRIMARY KEY,
    trigger         TEXT    NOT NULL CHECK (trigger IN ('test', 'redeliver')),
    endpoint_id     INTEGER NOT NULL DEFAULT 0, -- test: the endpoint to test
    delivery_id     INTEGER NOT NULL DEFAULT 0, -- redeliver: the delivery to send again; test: the one the server made
    requested_at_ms INTEGER NOT NULL,
    taken_at_ms     INTEGER NOT NULL DEFAULT 0,
    done_at_ms      INTEGER NOT NULL DEFAULT 0,
    error           TEXT    NOT NULL DEFAULT '' -- why nothing was sent (the receiver's answer is in the attempt)
);
CREATE INDEX IF NOT EXISTS send_requests_waiting ON send_requests (taken_at_ms, id);

CREATE TABLE IF NOT EXISTS server_heartbeat (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    beat_at_ms INTEGER NOT NULL
);
