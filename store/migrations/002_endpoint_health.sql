-- The outcome of each endpoint's latest attempt, kept on the endpoint so the
-- settings list shows health without scanning the delivery log.
ALTER TABLE webhook_endpoints ADD COLUMN last_status INTEGER;
ALTER TABLE webhook_endpoints ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_endpoints ADD COLUMN last_attempt_ms INTEGER;

-- Counts of an endpoint's pending and recently failed deliveries (the
-- settings list) read this index alone instead of the endpoint's whole log.
CREATE INDEX deliveries_endpoint_status ON deliveries(endpoint_id, status, finished_at_ms);
