package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// leasedDelivery makes a task whose task.create owes one delivery to the
// store's one endpoint, and returns that delivery's job.
func leasedDelivery(t *testing.T, s *Store, project int64, title string) DeliveryJob {
	t.Helper()
	ctx := context.Background()
	_, evs, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: project, Title: title})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := s.PendingDeliveries(ctx, evs)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("pending deliveries of %q: %d, err %v; want 1", title, len(jobs), err)
	}
	return jobs[0]
}

func delivered(j DeliveryJob, at time.Time) AttemptRecord {
	return AttemptRecord{DeliveryID: j.DeliveryID, EndpointID: j.Endpoint.ID, EventID: j.Event.ID, EventAt: j.Event.CreatedAt,
		Status: DeliveryDelivered, Success: true,
		Attempt: Attempt{Trigger: TriggerSync, StartedAt: at, Latency: time.Millisecond, RequestURL: j.Endpoint.URL,
			RequestBody: []byte(`{}`), ResponseStatus: 200, ResponseBody: []byte("thanks")}}
}

// deliveryOf reads, with its attempts, the delivery recorded for a job
// that had none yet (a request's).
func deliveryOf(t *testing.T, s *Store, j DeliveryJob) (Delivery, error) {
	t.Helper()
	ctx := context.Background()
	list, err := s.Deliveries(ctx, j.Endpoint.ID, 1000, false)
	if err != nil {
		return Delivery{}, err
	}
	for _, d := range list {
		if d.EventID == j.Event.ID {
			return s.Delivery(ctx, d.ID)
		}
	}
	return Delivery{}, ErrNotFound
}

// Attempts queued by RecordAttemptsLater are seen by every read of delivery
// state made right after, through this Store, and survive Close.
func TestRecordAttemptsLater(t *testing.T) {
	ctx := context.Background()
	path := testDB(t)
	s, err := openTest(t, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	board, _ := seedFanouts(t, s, "later")

	job := leasedDelivery(t, s, board.project, "read right after")
	outcome := make(chan error, 1)
	if err := s.RecordAttemptsLater([]AttemptRecord{delivered(job, time.Now())}, func(err error) { outcome <- err }); err != nil {
		t.Fatal(err)
	}
	if job.DeliveryID != 0 {
		t.Fatalf("a request's job has delivery %d before its outcome; want none yet", job.DeliveryID)
	}
	d, err := deliveryOf(t, s, job)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != DeliveryDelivered || d.AttemptCount != 1 || len(d.Attempts) != 1 || string(d.Attempts[0].ResponseBody) != "thanks" {
		t.Fatalf("delivery read right after queueing its attempt: status %s, %d attempts (%d rows); want delivered with the attempt",
			d.Status, d.AttemptCount, len(d.Attempts))
	}
	select {
	case err := <-outcome:
		if err != nil {
			t.Fatalf("queued attempt: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the queued attempt's outcome never came")
	}
	eps, err := s.Endpoints(ctx)
	if err != nil || len(eps) != 1 || eps[0].LastStatus != 200 {
		t.Fatalf("endpoint health after the queued attempt: %+v, err %v; want last status 200", eps, err)
	}

	// Queued with no write or read after it: committed on its own soon.
	alone := leasedDelivery(t, s, board.project, "nothing after it")
	queued := time.Now()
	if err := s.RecordAttemptsLater([]AttemptRecord{delivered(alone, time.Now())}, func(err error) { outcome <- err }); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-outcome:
		if err != nil {
			t.Fatalf("attempt queued alone: %v", err)
		}
		t.Logf("attempt queued alone committed after %s", time.Since(queued))
	case <-time.After(5 * time.Second):
		t.Fatal("an attempt queued with nothing after it was not committed within 5 s")
	}

	// Queued just before Close: committed by Close, there on reopening.
	job2 := leasedDelivery(t, s, board.project, "queued before close")
	if err := s.RecordAttemptsLater([]AttemptRecord{delivered(job2, time.Now())}, func(error) {}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.RecordAttemptsLater([]AttemptRecord{delivered(job2, time.Now())}, func(error) {}); err == nil {
		t.Fatal("RecordAttemptsLater on a closed Store: no error")
	}
	s, err = openTest(t, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err = deliveryOf(t, s, job2)
	if err != nil || d.Status != DeliveryDelivered || len(d.Attempts) != 1 {
		t.Fatalf("attempt queued before Close, after reopening: %+v, err %v; want delivered with one attempt", d, err)
	}
}

// Several servers share one database. The retry worker takes at once what
// a process owes that is no server's current run (it crashed and its
// instance restarted, it stopped, it never was a server), and leaves alone
// what a live server's requests may still be sending until its lease has
// passed, as well as what was attempted (its retry time is a schedule) and
// what has ended.
func TestTakeOverOfGoneRuns(t *testing.T) {
	ctx := context.Background()
	path := testDB(t)
	clock := time.Now()
	now := func() time.Time { return clock }
	open := func(instance string, server bool) *Store {
		t.Helper()
		s, err := openTest(t, path, Options{Now: now, Instance: instance})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if server {
			if err := s.Heartbeat(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	claimed := func(s *Store) []string {
		t.Helper()
		due, err := s.ClaimDueDeliveries(ctx, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		var events []string
		for _, j := range due {
			events = append(events, j.Event.ID)
		}
		slices.Sort(events)
		return events
	}

	a := open("a", true)
	board, _ := seedFanouts(t, a, "leases")
	crashed := leasedDelivery(t, a, board.project, "owed by a run that crashes")
	retrying := leasedDelivery(t, a, board.project, "failed once")
	done := leasedDelivery(t, a, board.project, "delivered")
	failed := AttemptRecord{EventID: retrying.Event.ID, EventAt: retrying.Event.CreatedAt, EndpointID: retrying.Endpoint.ID, Status: DeliveryPending,
		NextAttemptAt: clock.Add(5 * time.Minute), Attempt: Attempt{Trigger: TriggerSync, StartedAt: clock, Error: "refused"}}
	if err := a.RecordAttempts(ctx, []AttemptRecord{failed, delivered(done, clock)}); err != nil {
		t.Fatal(err)
	}
	b := open("b", true)
	mine := leasedDelivery(t, b, board.project, "owed by the worker's own run")
	if got := claimed(b); got != nil {
		t.Fatalf("while a runs: %v due; want none (all leased or scheduled)", got)
	}
	a.Close() // a crash as far as the database can tell: a's run stays registered
	if got := claimed(b); got != nil {
		t.Fatalf("a died but nobody knows yet: %v due; want none before the lease passes", got)
	}

	// Instance a restarts: its earlier run is nobody's now.
	open("a", true)
	if got := claimed(b); !slices.Equal(got, []string{crashed.Event.ID}) {
		t.Fatalf("after a restarted: %v due; want only %s (not %s, %s nor %s)", got, crashed.Event.ID, mine.Event.ID, retrying.Event.ID, done.Event.ID)
	}

	// A process that never was a server (the CLI) sends nothing; a server
	// that stops hands over what it owes.
	cli := open("", false)
	fromCLI := leasedDelivery(t, cli, board.project, "made from the command line")
	c := open("c", true)
	stopped := leasedDelivery(t, c, board.project, "owed by a server that stops")
	if err := c.ClearHeartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{fromCLI.Event.ID, stopped.Event.ID}
	slices.Sort(want)
	if got := claimed(b); !slices.Equal(got, want) {
		t.Fatalf("owed by the CLI and a stopped server: %v due; want %v", got, want)
	}

	// Past its lease, the worker takes its own run's delivery too.
	clock = clock.Add(deliveryLease + 2*time.Second)
	if got := claimed(b); !slices.Equal(got, []string{mine.Event.ID}) {
		t.Fatalf("after the worker's own lease: %v due; want only %s", got, mine.Event.ID)
	}
}

// A database written before fanouts (migration 004) leased a fresh event's
// delivery rows to its request; no run owns them after migration 026.
func TestMigrationReleasesDeliveryRowLeases(t *testing.T) {
	skipOnPostgres(t, "it rewinds a SQLite file's schema version")
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "board.db")
	clock := time.Now()
	s, err := Open(path, Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	board, endpoint := seedFanouts(t, s, "legacy")
	legacy := leasedDelivery(t, s, board.project, "leased the old way")
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM fanouts WHERE event_id = ?`, legacy.Event.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (event_id, endpoint_id, next_attempt_ms, created_at_ms) VALUES (?, ?, ?, ?)`,
			legacy.Event.ID, endpoint, clock.Add(deliveryLease+time.Second).UnixMilli(), clock.UnixMilli()); err != nil {
			return err
		}
		// Back to the schema before migration 026.
		_, err := tx.ExecContext(ctx, `DROP TABLE servers; ALTER TABLE fanouts DROP COLUMN owner;
			CREATE TABLE server_heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), beat_at_ms INTEGER NOT NULL);
			PRAGMA user_version = 25`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path, Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	due, err := s.ClaimDueDeliveries(ctx, 10, time.Minute)
	if err != nil || len(due) != 1 || due[0].Event.ID != legacy.Event.ID {
		t.Fatalf("after migrating: %+v, err %v; want the legacy delivery due", due, err)
	}
}
