-- The delivery log's time ranges become bounds on delivery ids, read in id
-- order like every other filter. Ids grow with time only as far as the
-- writers' clocks agree, so each delivery records whether it kept time
-- order when it was written: time_ordered is 1 when its created time is at
-- or after that of every time-ordered delivery before it. The time-ordered
-- deliveries are then sorted by time and by id at once, so an index on the
-- time finds their first and last id in a range; the others (written with
-- an earlier clock after a later one, or by a fanout taken over late) are
-- few and looked up in the same index. 0 is the safe default: a delivery
-- not known to be in order costs a look-up, never a wrong answer.
ALTER TABLE deliveries ADD COLUMN time_ordered INTEGER NOT NULL DEFAULT 0;
UPDATE deliveries SET time_ordered = 1 WHERE id IN (
    SELECT id FROM (
        SELECT id, created_at_ms,
            max(created_at_ms) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_ms
        FROM deliveries) w
    WHERE before_ms IS NULL OR created_at_ms >= before_ms);
CREATE INDEX deliveries_time ON deliveries(time_ordered, created_at_ms, id);
