package store

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// BenchmarkDeliveryLog pages the delivery log of a database holding
// 1,000,000 attempts (500,000 deliveries of 250,000 events to two
// endpoints, two attempts each), one filter at a time:
//
//	go test ./store -run '^$' -bench DeliveryLog -benchtime 20x -count 3
//
// The target (docs/BENCHMARKS.md) is under 50 ms a page, for each filter
// alone and with a time range.
func BenchmarkDeliveryLog(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	board := newBoard(&testing.T{}, s, "Log")
	var eps [2]int64
	for i := range eps {
		ep, _, err := s.CreateEndpoint(ctx, NewEndpoint{Name: "ep", URL: "https://example.com/hook"})
		if err != nil {
			b.Fatal(err)
		}
		eps[i] = ep.ID
	}
	const events = 250_000
	now := time.Now()
	start := now.Add(-30 * 24 * time.Hour).UnixMilli()
	step := (now.UnixMilli() - start) / events
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Event n at start + n*step: ids are UUIDv7 of that time, so they sort by it.
		for _, q := range []string{
			`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
			INSERT INTO events (id, name, project_id, task_id, created_at_ms, data)
			SELECT printf('%08x-%04x-7000-8000-%012x', (?2 + i * ?3) >> 16, (?2 + i * ?3) & 65535, i),
				CASE i % 4 WHEN 0 THEN 'task.create' WHEN 1 THEN 'task.update' WHEN 2 THEN 'comment.create' ELSE 'task.move.column' END,
				?4, i % 5000 + 1, ?2 + i * ?3, '{}' FROM n`,
			// Written in time order, as one process writes them: each
			// delivery is time-ordered (migration 025).
			`INSERT INTO deliveries (event_id, event_name, endpoint_id, status, attempts, next_attempt_ms, last_status, created_at_ms, finished_at_ms, time_ordered)
			SELECT e.id, e.name, ep.id,
				CASE WHEN e.rowid % 10 = 0 THEN 'failed' WHEN e.rowid % 10 = 1 THEN 'pending' ELSE 'delivered' END,
				2, CASE WHEN e.rowid % 10 = 1 THEN e.created_at_ms + 60000 END,
				CASE WHEN e.rowid % 10 < 2 THEN 503 ELSE 200 END, e.created_at_ms,
				CASE WHEN e.rowid % 10 = 1 THEN NULL ELSE e.created_at_ms + 50 END, 1
			FROM events e CROSS JOIN (SELECT id FROM webhook_endpoints) ep ORDER BY e.id, ep.id`,
			`INSERT INTO delivery_attempts (delivery_id, trigger, started_at_ms, latency_ms, request_url, request_headers,
				request_body, response_status, error)
			SELECT d.id, t.trigger, d.created_at_ms, 40, 'https://example.com/hook', '{}', '{}', d.last_status, ''
			FROM deliveries d CROSS JOIN (SELECT 'sync' AS trigger UNION ALL SELECT 'retry') t`,
		} {
			if _, err := tx.ExecContext(ctx, q, events, start, step, board.project); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var attempts int
	if err := s.reader.QueryRow(`SELECT count(*) FROM delivery_attempts`).Scan(&attempts); err != nil || attempts != 1_000_000 {
		b.Fatalf("%d attempts, err %v", attempts, err)
	}
	var someEvent string
	if err := s.reader.QueryRow(`SELECT id FROM events LIMIT 1 OFFSET 123456`).Scan(&someEvent); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    DeliveryFilter
	}{
		{"newest", DeliveryFilter{}},
		{"endpoint", DeliveryFilter{EndpointID: eps[1]}},
		{"event", DeliveryFilter{Event: EventCommentCreate}},
		{"failed", DeliveryFilter{Status: DeliveryFailed}},
		{"retrying", DeliveryFilter{Status: FilterRetrying}},
		{"5xx", DeliveryFilter{HTTPClass: 5}},
		{"since-24h", DeliveryFilter{Since: now.Add(-24 * time.Hour)}},
		{"since-7d", DeliveryFilter{Since: now.Add(-7 * 24 * time.Hour)}},
		{"since-29d", DeliveryFilter{Since: now.Add(-29 * 24 * time.Hour)}},
		{"until-7d-ago", DeliveryFilter{Until: now.Add(-7 * 24 * time.Hour)}},
		{"range-a-week-ago", DeliveryFilter{Since: now.Add(-8 * 24 * time.Hour), Until: now.Add(-7 * 24 * time.Hour)}},
		{"range-a-week-ago-older-page", DeliveryFilter{Since: now.Add(-8 * 24 * time.Hour), Until: now.Add(-7 * 24 * time.Hour), Before: 370_000}},
		{"endpoint-since-24h", DeliveryFilter{EndpointID: eps[1], Since: now.Add(-24 * time.Hour)}},
		{"event-range-a-week-ago", DeliveryFilter{Event: EventCommentCreate, Since: now.Add(-8 * 24 * time.Hour), Until: now.Add(-7 * 24 * time.Hour)}},
		{"failed-5xx-since-7d", DeliveryFilter{Status: DeliveryFailed, HTTPClass: 5, Since: now.Add(-7 * 24 * time.Hour)}},
		{"task-since-24h", DeliveryFilter{TaskID: 4321, Since: now.Add(-24 * time.Hour)}},
		{"webhook-id", DeliveryFilter{WebhookID: someEvent}},
		{"task", DeliveryFilter{TaskID: 4321}},
		{"endpoint-failed-5xx", DeliveryFilter{EndpointID: eps[0], Status: DeliveryFailed, HTTPClass: 5}},
		{"older-page", DeliveryFilter{EndpointID: eps[0], Before: 250_000}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				page, err := s.DeliveryLog(ctx, c.f)
				if err != nil || len(page.Deliveries) == 0 {
					b.Fatalf("%d deliveries, err %v", len(page.Deliveries), err)
				}
			}
		})
	}
}
