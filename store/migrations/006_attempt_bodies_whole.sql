-- Every attempt keeps its request body whole, as sent. Migration 005 let
-- an attempt whose body held its event's data verbatim store only the rest,
-- with the byte offset where the data went back; the log rebuilt the body
-- from two rows. Put the data back in those rows and drop the offset.
-- substr counts bytes on a BLOB and characters on TEXT, so every part is a
-- BLOB: the offset is a byte offset, and multi-byte text stays exact.
UPDATE delivery_attempts SET request_body = CAST(
        substr(CAST(request_body AS BLOB), 1, request_body_event_offset)
        || COALESCE((SELECT CAST(e.data AS BLOB) FROM deliveries d JOIN events e ON e.id = d.event_id
                     WHERE d.id = delivery_attempts.delivery_id), X'')
        || substr(CAST(request_body AS BLOB), request_body_event_offset + 1)
    AS BLOB)
WHERE request_body_event_offset IS NOT NULL;

ALTER TABLE delivery_attempts DROP COLUMN request_body_event_offset;
