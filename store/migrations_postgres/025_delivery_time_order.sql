-- The delivery log's time ranges: the twin of the SQLite migration 025
-- (see there). A database made at 023 has no deliveries older than this
-- migration that are out of order unless its writers' clocks disagreed;
-- the window below marks them exactly as SQLite's does.
ALTER TABLE deliveries ADD COLUMN time_ordered BIGINT NOT NULL DEFAULT 0;
UPDATE deliveries SET time_ordered = 1 WHERE id IN (
    SELECT id FROM (
        SELECT id, created_at_ms,
            max(created_at_ms) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_ms
        FROM deliveries) w
    WHERE before_ms IS NULL OR created_at_ms >= before_ms);
CREATE INDEX deliveries_time ON deliveries (time_ordered, created_at_ms, id);
