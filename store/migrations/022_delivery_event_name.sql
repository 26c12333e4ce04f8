-- The delivery log's filter by event name reads deliveries in id order
-- within one name, newest first, and stops after a page: each delivery
-- keeps its event's name (events never change name), served by an index.
-- Before, the filter joined every event of that name and sorted all their
-- deliveries for each page.
ALTER TABLE deliveries ADD COLUMN event_name TEXT NOT NULL DEFAULT '';
UPDATE deliveries SET event_name = COALESCE((SELECT name FROM events WHERE events.id = deliveries.event_id), '');
CREATE INDEX deliveries_event_name ON deliveries(event_name, id);
DROP INDEX IF EXISTS events_name;
