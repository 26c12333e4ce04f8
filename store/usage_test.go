package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testClock is a settable clock for Options.Now.
type testClock struct{ unix atomic.Int64 }

func (c *testClock) now() time.Time  { return time.Unix(c.unix.Load(), 0) }
func (c *testClock) set(t time.Time) { c.unix.Store(t.Unix()) }

func openUsageStore(t *testing.T, clock *testClock, opts Options) (*Store, string) {
	t.Helper()
	path := testDB(t)
	if clock != nil {
		opts.Now = clock.now
	}
	s, err := openTest(t, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func newUsageIntegration(t *testing.T, s *Store, name string) Integration {
	t.Helper()
	in, _, err := s.CreateIntegration(context.Background(), NewIntegration{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// usageOn returns the count of integration id on day (YYYY-MM-DD) within
// the last `days` days.
func usageOn(t *testing.T, s *Store, id int64, days int, day string) int {
	t.Helper()
	all, err := s.IntegrationUsage(context.Background(), days)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range all[id] {
		if d.Day == day {
			return d.Count
		}
	}
	t.Fatalf("day %s not in the last %d days of integration %d: %v", day, days, id, all[id])
	return 0
}

func TestUsageIsBatchedUntilFlush(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{}
	clock.set(time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC))
	s, _ := openUsageStore(t, clock, Options{UsageFlushEvery: time.Hour})
	a := newUsageIntegration(t, s, "a")
	b := newUsageIntegration(t, s, "b")

	for range 7 {
		s.RecordIntegrationUse(a.ID)
	}
	clock.set(time.Date(2026, 11, 23, 10, 31, 5, 0, time.UTC))
	s.RecordIntegrationUse(a.ID)

	// Nothing is written on the request path.
	if n := usageOn(t, s, a.ID, 7, "2026-11-23"); n != 0 {
		t.Fatalf("count before flush = %d, want 0", n)
	}
	if got, _ := s.IntegrationByID(ctx, a.ID); got.LastUsedAt != 0 {
		t.Fatalf("last use before flush = %d, want 0", got.LastUsedAt)
	}

	if err := s.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if n := usageOn(t, s, a.ID, 7, "2026-11-23"); n != 8 {
		t.Fatalf("count after flush = %d, want 8", n)
	}
	got, _ := s.IntegrationByID(ctx, a.ID)
	if want := clock.now().Unix(); got.LastUsedAt != want {
		t.Fatalf("last use = %d, want %d", got.LastUsedAt, want)
	}
	if n := usageOn(t, s, b.ID, 7, "2026-11-23"); n != 0 {
		t.Fatalf("unused integration counted %d", n)
	}
	if got, _ := s.IntegrationByID(ctx, b.ID); got.LastUsedAt != 0 {
		t.Fatalf("unused integration has last use %d", got.LastUsedAt)
	}

	// A second flush adds to the day's row instead of replacing it.
	s.RecordIntegrationUse(a.ID)
	if err := s.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if n := usageOn(t, s, a.ID, 7, "2026-11-23"); n != 9 {
		t.Fatalf("count after second flush = %d, want 9", n)
	}
}

func TestUsageCountsPerUTCDay(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{}
	s, _ := openUsageStore(t, clock, Options{UsageFlushEvery: time.Hour})
	in := newUsageIntegration(t, s, "a")

	// 23:59:59 UTC and 00:00:00 UTC the next day are different days, even
	// though they are the same day in UTC-5.
	clock.set(time.Date(2026, 11, 22, 23, 59, 59, 0, time.UTC))
	s.RecordIntegrationUse(in.ID)
	s.RecordIntegrationUse(in.ID)
	clock.set(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
	s.RecordIntegrationUse(in.ID)
	if err := s.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if n := usageOn(t, s, in.ID, 7, "2026-11-22"); n != 2 {
		t.Fatalf("2026-11-22 = %d, want 2", n)
	}
	if n := usageOn(t, s, in.ID, 7, "2026-11-23"); n != 1 {
		t.Fatalf("2026-11-23 = %d, want 1", n)
	}
}

func TestUsageOfDeletedIntegrationIsDropped(t *testing.T) {
	ctx := context.Background()
	s, _ := openUsageStore(t, nil, Options{UsageFlushEvery: time.Hour})
	gone := newUsageIntegration(t, s, "gone")
	kept := newUsageIntegration(t, s, "kept")
	s.RecordIntegrationUse(gone.ID)
	s.RecordIntegrationUse(kept.ID)
	if err := s.DeleteIntegration(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.FlushUsage(ctx); err != nil {
		t.Fatalf("flush with a deleted integration: %v", err)
	}
	var rows int
	if err := s.reader.QueryRow(`SELECT count(*) FROM integration_usage WHERE integration_id = ?`, gone.ID).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Fatalf("deleted integration has %d usage rows", rows)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if n := usageOn(t, s, kept.ID, 1, today); n != 1 {
		t.Fatalf("kept integration count = %d, want 1", n)
	}
}

func TestUsageOlderThan90DaysIsPruned(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{}
	today := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s, _ := openUsageStore(t, clock, Options{UsageFlushEvery: time.Hour})
	in := newUsageIntegration(t, s, "a")

	old := today.AddDate(0, 0, -UsageRetentionDays)    // 91st day back: pruned
	last := today.AddDate(0, 0, -UsageRetentionDays+1) // 90th day back: kept
	for _, day := range []time.Time{old, last} {
		clock.set(day)
		s.RecordIntegrationUse(in.ID)
		if err := s.FlushUsage(ctx); err != nil {
			t.Fatal(err)
		}
	}
	clock.set(today)
	if n := usageOn(t, s, in.ID, 120, old.Format(time.DateOnly)); n != 1 {
		t.Fatalf("old day before pruning = %d, want 1", n)
	}
	s.RecordIntegrationUse(in.ID)
	if err := s.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if n := usageOn(t, s, in.ID, 120, old.Format(time.DateOnly)); n != 0 {
		t.Fatalf("day %s still counted %d after pruning", old.Format(time.DateOnly), n)
	}
	if n := usageOn(t, s, in.ID, 120, last.Format(time.DateOnly)); n != 1 {
		t.Fatalf("day %s (within 90 days) = %d, want 1", last.Format(time.DateOnly), n)
	}
	if n := usageOn(t, s, in.ID, 120, today.Format(time.DateOnly)); n != 1 {
		t.Fatalf("today = %d, want 1", n)
	}
}

func TestUsageConcurrentRecordsAndFlushesLoseNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := openUsageStore(t, nil, Options{UsageFlushEvery: time.Hour})
	in := newUsageIntegration(t, s, "a")
	const workers, each = 16, 500
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				s.RecordIntegrationUse(in.ID)
			}
		}()
	}
	stop := make(chan struct{})
	flushed := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				flushed <- nil
				return
			default:
			}
			if err := s.FlushUsage(ctx); err != nil {
				flushed <- err
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if err := s.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if n := usageOn(t, s, in.ID, 1, today); n != workers*each {
		t.Fatalf("count = %d, want %d", n, workers*each)
	}
}

func TestUsageFailedFlushKeepsCounts(t *testing.T) {
	s, _ := openUsageStore(t, nil, Options{UsageFlushEvery: time.Hour})
	in := newUsageIntegration(t, s, "a")
	s.RecordIntegrationUse(in.ID)
	s.RecordIntegrationUse(in.ID)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.FlushUsage(cancelled); err == nil {
		t.Fatal("flush on a cancelled context succeeded")
	}
	s.RecordIntegrationUse(in.ID)
	if err := s.FlushUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if n := usageOn(t, s, in.ID, 1, today); n != 3 {
		t.Fatalf("count = %d, want 3 (the failed flush's 2 plus 1)", n)
	}
}

func TestUsageFlushedOnCloseAndInBackground(t *testing.T) {
	ctx := context.Background()
	s, path := openUsageStore(t, nil, Options{UsageFlushEvery: time.Hour})
	in := newUsageIntegration(t, s, "a")
	s.RecordIntegrationUse(in.ID)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)

	s2, err := openTest(t, path, Options{UsageFlushEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n := usageOn(t, s2, in.ID, 1, today); n != 1 {
		t.Fatalf("count after Close = %d, want 1", n)
	}
	// The background flusher writes without anyone calling FlushUsage.
	s2.RecordIntegrationUse(in.ID)
	deadline := time.Now().Add(10 * time.Second)
	for usageOn(t, s2, in.ID, 1, today) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the background flusher did not write the count within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err := s2.IntegrationByID(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastUsedAt == 0 {
		t.Fatal("last use not set by the background flush")
	}
}

func TestNoUsageCountingRecordsNothing(t *testing.T) {
	s, _ := openUsageStore(t, nil, Options{NoUsageCounting: true})
	in := newUsageIntegration(t, s, "a")
	s.RecordIntegrationUse(in.ID)
	if err := s.FlushUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := usageOn(t, s, in.ID, 1, time.Now().UTC().Format(time.DateOnly)); n != 0 {
		t.Fatalf("count = %d with counting off", n)
	}
}

// BenchmarkRecordIntegrationUse is what counting adds to one request, alone
// and with every core recording at once.
func BenchmarkRecordIntegrationUse(b *testing.B) {
	s, err := openTest(b, testDB(b), Options{UsageFlushEvery: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	in, _, err := s.CreateIntegration(context.Background(), NewIntegration{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			s.RecordIntegrationUse(in.ID)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.RecordIntegrationUse(in.ID)
			}
		})
	})
}
