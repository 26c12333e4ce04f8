package store

import (
	"context"
	"database/sql"
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

// A run that dies leaves the deliveries its events owe (their fanout rows,
// or leased delivery rows in a database written before fanouts existed)
// leased to requests that are gone; the next run's worker makes them due at
// once, and leaves alone what this run owes, what was attempted (its retry
// time is a schedule) and what has ended.
func TestReleaseEarlierLeases(t *testing.T) {
	ctx := context.Background()
	path := testDB(t)
	clock := time.Now()
	now := func() time.Time { return clock }
	first, err := openTest(t, path, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	board, endpoint := seedFanouts(t, first, "leases")
	orphan := leasedDelivery(t, first, board.project, "never attempted")
	legacy := leasedDelivery(t, first, board.project, "leased the old way")
	// What emit wrote before migration 004, instead of the fanout row.
	err = first.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM fanouts WHERE event_id = ?`, legacy.Event.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (event_id, endpoint_id, next_attempt_ms, created_at_ms) VALUES (?, ?, ?, ?)`,
			legacy.Event.ID, endpoint, clock.Add(deliveryLease+time.Second).UnixMilli(), clock.UnixMilli())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	retrying := leasedDelivery(t, first, board.project, "failed once")
	done := leasedDelivery(t, first, board.project, "delivered")
	failed := AttemptRecord{EventID: retrying.Event.ID, EventAt: retrying.Event.CreatedAt, EndpointID: retrying.Endpoint.ID, Status: DeliveryPending,
		NextAttemptAt: clock.Add(5 * time.Minute), Attempt: Attempt{Trigger: TriggerSync, StartedAt: clock, Error: "refused"}}
	if err := first.RecordAttempts(ctx, []AttemptRecord{failed, delivered(done, clock)}); err != nil {
		t.Fatal(err)
	}
	first.Close() // as good as a crash for the leases: nobody holds them now

	clock = clock.Add(2 * time.Second)
	second, err := openTest(t, path, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	clock = clock.Add(time.Second)
	mine := leasedDelivery(t, second, board.project, "made by this run")
	if due, err := second.ClaimDueDeliveries(ctx, 10, time.Minute); err != nil || len(due) != 0 {
		t.Fatalf("before the release: %d due, err %v; want none (all leased or scheduled)", len(due), err)
	}
	n, err := second.ReleaseEarlierLeases(ctx)
	if err != nil || n != 2 {
		t.Fatalf("ReleaseEarlierLeases: %d, err %v; want 2", n, err)
	}
	due, err := second.ClaimDueDeliveries(ctx, 10, time.Minute)
	var dueEvents []string
	for _, j := range due {
		dueEvents = append(dueEvents, j.Event.ID)
	}
	want := []string{orphan.Event.ID, legacy.Event.ID}
	slices.Sort(dueEvents)
	slices.Sort(want)
	if err != nil || !slices.Equal(dueEvents, want) {
		t.Fatalf("due after the release: %v, err %v; want only events %v (not %s, %s nor %s)",
			dueEvents, err, want, mine.Event.ID, retrying.Event.ID, done.Event.ID)
	}
	// Past the new run's lease, the worker takes its owed delivery too.
	clock = clock.Add(deliveryLease + 2*time.Second)
	due, err = second.ClaimDueDeliveries(ctx, 10, time.Minute)
	if err != nil || len(due) != 1 || due[0].Event.ID != mine.Event.ID {
		t.Fatalf("due after this run's lease: %+v, err %v; want only event %s's delivery", due, err, mine.Event.ID)
	}
}
