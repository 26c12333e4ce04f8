-- Each event's data becomes the kanboard format's event_data exactly as
-- receivers get it: nested objects and Kanboard's documented flat fields,
-- without HTML escaping. SQL cannot rebuild that shape; the Go step that
-- runs after this file in the same transaction (completeEventData) does,
-- with the same builder new events use.
SELECT 1;
