-- The delivery log's filters each read an index instead of the whole log
-- (the store test TestDeliveryLogQueryPlans holds them to it). Newest
-- first within a filter is the index's own order where the filter is one
-- value (status, HTTP status class); time ranges read the events' primary
-- key (UUIDv7, so it sorts by time) and reach their deliveries by event.
CREATE INDEX deliveries_event ON deliveries(event_id);
CREATE INDEX deliveries_status ON deliveries(status, id);
CREATE INDEX deliveries_class ON deliveries(COALESCE(last_status, 0) / 100, id);
CREATE INDEX events_name ON events(name);
CREATE INDEX events_task ON events(task_id) WHERE task_id IS NOT NULL;
