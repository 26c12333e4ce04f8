package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
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
	labels := make([]string, days)
	for i := range labels {
		labels[i] = today.AddDate(0, 0, -(days - 1 - i)).Format(time.DateOnly)
	}
	out := make(map[int64][]UsageDay, len(counts))
	for id, byDay := range counts {
		series := make([]UsageDay, days)
		for i, d := range labels {
			series[i] = UsageDay{Day: d, Count: byDay[d]}
		}
		out[id] = series
	}
	return out, nil
}

// UsageRetentionDays is how long per-day request counts are kept.
const UsageRetentionDays = 90

// defaultUsageFlushEvery is how often counted uses reach the database.
const defaultUsageFlushEvery = 5 * time.Second

// usageKey is one integration on one UTC day (days since the Unix epoch).
type usageKey struct {
	id  int64
	day int64
}

// usageBatch gathers integration uses in memory between flushes, so the
// request path costs a map update under a mutex instead of a write
// transaction.
type usageBatch struct {
	mu       sync.Mutex
	counts   map[usageKey]int64
	lastUsed map[int64]int64 // unix seconds of the latest use
	// flushMu makes flushes run one at a time, so a failed flush's counts
	// are merged back before the next flush swaps the maps again.
	flushMu    sync.Mutex
	lastPrune  int64 // day of the last prune; 0 = never
	disabled   bool
	stop       chan struct{}
	stopOnce   sync.Once
	done       chan struct{}
	flushEvery time.Duration
}

func newUsageBatch(disabled bool, every time.Duration) *usageBatch {
	if every <= 0 {
		every = defaultUsageFlushEvery
	}
	return &usageBatch{
		counts:     map[usageKey]int64{},
		lastUsed:   map[int64]int64{},
		disabled:   disabled,
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		flushEvery: every,
	}
}

// RecordIntegrationUse counts one authenticated request of an integration.
// It writes nothing: counts are batched in memory and reach the database
// with the next flush (every few seconds, on FlushUsage and on Close). A
// crash loses at most the counts of the last few seconds, never a change.
func (s *Store) RecordIntegrationUse(id int64) {
	b := s.usage
	if b == nil || b.disabled {
		return
	}
	now := s.now().Unix()
	key := usageKey{id: id, day: floorDiv(now, 86400)}
	b.mu.Lock()
	b.counts[key]++
	if now > b.lastUsed[id] {
		b.lastUsed[id] = now
	}
	b.mu.Unlock()
}

// floorDiv divides rounding towards minus infinity, so times before 1970
// still fall on the right day.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// runUsageFlusher flushes the batch every flushEvery until Close.
func (s *Store) runUsageFlusher() {
	b := s.usage
	defer close(b.done)
	t := time.NewTicker(b.flushEvery)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			// A failed flush keeps its counts for the next one; there is no
			// logger in the store, and the next flush or Close reports it.
			_ = s.FlushUsage(ctx)
			cancel()
		}
	}
}

// stopUsageFlusher ends the background flusher and waits for it.
func (s *Store) stopUsageFlusher() {
	b := s.usage
	if b == nil {
		return
	}
	b.stopOnce.Do(func() { close(b.stop) })
	<-b.done
}

// FlushUsage writes the counted integration uses to the database now: it
// adds them to integration_usage (one row per integration and UTC day),
// moves last_used_at forward, and at most once a day deletes counts older
// than UsageRetentionDays. Uses of an integration deleted meanwhile are dropped.
// On error the counts stay in memory for the next flush.
func (s *Store) FlushUsage(ctx context.Context) error {
	b := s.usage
	if b == nil {
		return nil
	}
	b.flushMu.Lock()
	defer b.flushMu.Unlock()

	b.mu.Lock()
	counts, lastUsed := b.counts, b.lastUsed
	b.counts, b.lastUsed = map[usageKey]int64{}, map[int64]int64{}
	b.mu.Unlock()

	if len(counts) == 0 && len(lastUsed) == 0 {
		return nil
	}
	// Pruning rides along with a flush that writes anyway, so an idle
	// server or a CLI command never opens a write transaction just for it.
	today := floorDiv(s.now().Unix(), 86400)
	prune := b.lastPrune != today
	cutoff := time.Unix((today-UsageRetentionDays+1)*86400, 0).UTC().Format(time.DateOnly)
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Plain Execs: the writer connection keeps each statement compiled
		// (stmtcache.go), so repeating them costs no parse.
		for k, n := range counts {
			// INSERT … SELECT … WHERE EXISTS skips integrations deleted since
			// their use was counted (a plain INSERT would break the foreign key).
			day := time.Unix(k.day*86400, 0).UTC().Format(time.DateOnly)
			if _, err := tx.ExecContext(ctx, `INSERT INTO integration_usage (integration_id, day, count)
				SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM integrations WHERE id = ?1)
				ON CONFLICT (integration_id, day) DO UPDATE SET count = integration_usage.count + excluded.count`, k.id, day, n); err != nil {
				return fmt.Errorf("add usage of integration %d: %w", k.id, err)
			}
		}
		for id, at := range lastUsed {
			if _, err := tx.ExecContext(ctx,
				`UPDATE integrations SET last_used_at = ?1 WHERE id = ?2 AND COALESCE(last_used_at, 0) < ?1`, at, id); err != nil {
				return fmt.Errorf("set last use of integration %d: %w", id, err)
			}
		}
		if prune {
			if _, err := tx.ExecContext(ctx, `DELETE FROM integration_usage WHERE day < ?`, cutoff); err != nil {
				return fmt.Errorf("prune usage: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		// Put the counts back so the next flush writes them.
		b.mu.Lock()
		for k, n := range counts {
			b.counts[k] += n
		}
		for id, at := range lastUsed {
			if at > b.lastUsed[id] {
				b.lastUsed[id] = at
			}
		}
		b.mu.Unlock()
		return fmt.Errorf("store: flush integration usage: %w", err)
	}
	if prune {
		b.lastPrune = today
	}
	return nil
}
