-- A webhook's body most often holds its event's stored data verbatim (the
-- kanboard format's event_data). Such an attempt keeps its body without
-- that data, and request_body_event_offset says where it goes back: the
-- body sent is request_body[:offset] || events.data || request_body[offset:].
-- An event row never changes and outlives its deliveries (they reference
-- it), so the log shows the very bytes sent while storing each event's
-- data once, not once per endpoint and attempt. NULL: request_body is the
-- whole body.
ALTER TABLE delivery_attempts ADD COLUMN request_body_event_offset INTEGER;
