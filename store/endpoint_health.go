package store

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// HealthBucket is one time slot of an endpoint's attempts.
type HealthBucket struct {
	Start     time.Time
	Attempts  int
	Succeeded int           // answered 2xx
	P50, P95  time.Duration // of the attempts' latencies; zero without attempts
}

// SuccessRate is the share of attempts answered 2xx, 0 to 1; -1 without
// attempts.
func (b HealthBucket) SuccessRate() float64 {
	if b.Attempts == 0 {
		return -1
	}
	return float64(b.Succeeded) / float64(b.Attempts)
}

// healthLookback is how much older than a chart's start an event may be
// for its attempts to count: retries follow their event by up to the
// retry schedule's sum and its jitter. Manual redeliveries of older events
// are left out of the charts.
const healthLookback = 48 * time.Hour

// EndpointHealth returns, for each endpoint (or the one given, when not
// 0), n buckets of step each ending at end: how many attempts were made,
// how many succeeded, and their median and 95th percentile latency.
// Endpoints without attempts in that time get n empty buckets when asked
// for by id, and are absent otherwise.
func (s *Store) EndpointHealth(ctx context.Context, endpointID int64, end time.Time, step time.Duration, n int) (map[int64][]HealthBucket, error) {
	if n <= 0 || step <= 0 {
		return nil, fmt.Errorf("store: endpoint health: %d buckets of %s", n, step)
	}
	start := end.Add(-step * time.Duration(n))
	// The events' primary key bounds the read (UUIDv7 ids sort by time);
	// each event reaches its deliveries and their attempts by index.
	rows, err := s.reader.QueryContext(ctx, `SELECT d.endpoint_id, a.started_at_ms, a.latency_ms, COALESCE(a.response_status, 0)
		FROM events ev JOIN deliveries d ON d.event_id = ev.id JOIN delivery_attempts a ON a.delivery_id = d.id
		WHERE ev.id >= ? AND a.started_at_ms >= ? AND a.started_at_ms < ? AND (? = 0 OR d.endpoint_id = ?)`,
		eventIDFloor(start.Add(-healthLookback)), start.UnixMilli(), end.UnixMilli(), endpointID, endpointID)
	if err != nil {
		return nil, fmt.Errorf("store: endpoint health: %w", err)
	}
	defer rows.Close()
	type slot struct {
		attempts, ok int
		latencies    []int64
	}
	slots := map[int64][]slot{}
	for rows.Next() {
		var ep, at, latency int64
		var status int
		if err := rows.Scan(&ep, &at, &latency, &status); err != nil {
			return nil, fmt.Errorf("store: endpoint health: %w", err)
		}
		if slots[ep] == nil {
			slots[ep] = make([]slot, n)
		}
		i := int((at - start.UnixMilli()) / step.Milliseconds())
		if i < 0 || i >= n {
			continue
		}
		sl := &slots[ep][i]
		sl.attempts++
		if status >= 200 && status < 300 {
			sl.ok++
		}
		sl.latencies = append(sl.latencies, latency)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: endpoint health: %w", err)
	}
	if endpointID != 0 && slots[endpointID] == nil {
		slots[endpointID] = make([]slot, n)
	}
	out := make(map[int64][]HealthBucket, len(slots))
	for ep, ss := range slots {
		buckets := make([]HealthBucket, n)
		for i, sl := range ss {
			b := HealthBucket{Start: start.Add(step * time.Duration(i)), Attempts: sl.attempts, Succeeded: sl.ok}
			if len(sl.latencies) > 0 {
				slices.Sort(sl.latencies)
				b.P50 = time.Duration(percentile(sl.latencies, 50)) * time.Millisecond
				b.P95 = time.Duration(percentile(sl.latencies, 95)) * time.Millisecond
			}
			buckets[i] = b
		}
		out[ep] = buckets
	}
	return out, nil
}

// percentile is the nearest-rank percentile p of sorted values.
func percentile(sorted []int64, p int) int64 {
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}
