package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// fanoutStore is a Store on a settable clock with one board and one
// endpoint.
func fanoutStore(t *testing.T) (s *Store, board boardFixture, endpoint int64, clock *time.Time) {
	t.Helper()
	now := time.Now()
	clock = &now
	s, err := openTest(t, testDB(t), Options{Now: func() time.Time { return *clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	board, endpoint = seedFanouts(t, s, "fanouts")
	return s, board, endpoint, clock
}

// seedFanouts adds a board and one endpoint that every event matches.
func seedFanouts(t *testing.T, s *Store, name string) (boardFixture, int64) {
	t.Helper()
	board := newBoard(t, s, name)
	ep, _, err := s.CreateEndpoint(context.Background(), NewEndpoint{Name: "r", URL: "http://127.0.0.1:1/hook", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return board, ep.ID
}

func failedAt(j DeliveryJob, at time.Time, status int) AttemptRecord {
	return AttemptRecord{DeliveryID: j.DeliveryID, EndpointID: j.Endpoint.ID, EventID: j.Event.ID, EventAt: j.Event.CreatedAt,
		Status: DeliveryPending, NextAttemptAt: at.Add(5 * time.Second),
		Attempt: Attempt{Trigger: TriggerSync, StartedAt: at, ResponseStatus: status, Error: "HTTP 500"}}
}

func endpointByID(t *testing.T, s *Store, id int64) Endpoint {
	t.Helper()
	e, err := s.Endpoint(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A change's deliveries are owed by its event until their outcome is
// recorded: counted pending, not in the log; then written once, with the
// attempt, and no longer owed.
func TestOwedDeliveriesAreWrittenOnceWithTheirOutcome(t *testing.T) {
	s, board, endpoint, clock := fanoutStore(t)
	ctx := context.Background()
	job := leasedDelivery(t, s, board.project, "owed")
	if e := endpointByID(t, s, endpoint); e.PendingCount != 1 {
		t.Fatalf("while in flight: %d pending; want 1", e.PendingCount)
	}
	if list, _ := s.Deliveries(ctx, endpoint, 10, false); len(list) != 0 {
		t.Fatalf("while in flight: %d deliveries in the log; want none yet", len(list))
	}
	if err := s.RecordAttempts(ctx, []AttemptRecord{delivered(job, *clock)}); err != nil {
		t.Fatal(err)
	}
	d, err := deliveryOf(t, s, job)
	if err != nil || d.Status != DeliveryDelivered || d.AttemptCount != 1 || len(d.Attempts) != 1 || !d.CreatedAt.Equal(job.Event.CreatedAt) {
		t.Fatalf("after the outcome: %+v, err %v; want delivered, one attempt, made at the event's time", d, err)
	}
	if e := endpointByID(t, s, endpoint); e.PendingCount != 0 || e.LastStatus != 200 {
		t.Fatalf("after the outcome: %d pending, last status %d; want 0 and 200", e.PendingCount, e.LastStatus)
	}
	if jobs, err := s.fanoutJobs(ctx, []string{job.Event.ID}); err != nil || len(jobs) != 0 {
		t.Fatalf("the event still owes %d deliveries (err %v) after their outcome", len(jobs), err)
	}
	// Nothing is due for the worker, now or after the lease.
	*clock = clock.Add(time.Hour)
	if due, err := s.ClaimDueDeliveries(ctx, 10, time.Minute); err != nil || len(due) != 0 {
		t.Fatalf("after the lease: %d due, err %v; want none", len(due), err)
	}
}

// An outcome recorded after the worker took the event over (its lease
// passed: a stalled process, or another one's worker) goes on the
// worker's delivery, which is not sent twice.
func TestOutcomeAfterTakeOverJoinsTheWorkersDelivery(t *testing.T) {
	s, board, endpoint, clock := fanoutStore(t)
	ctx := context.Background()
	job := leasedDelivery(t, s, board.project, "slow to record")
	*clock = clock.Add(deliveryLease + 2*time.Second)
	// Taken over and claimed by a worker (its attempt still running).
	due, err := s.ClaimDueDeliveries(ctx, 10, time.Minute)
	if err != nil || len(due) != 1 || due[0].Event.ID != job.Event.ID {
		t.Fatalf("after the lease: %+v, err %v; want the event's delivery", due, err)
	}
	if err := s.RecordAttempts(ctx, []AttemptRecord{delivered(job, *clock)}); err != nil {
		t.Fatal(err)
	}
	list, err := s.Deliveries(ctx, endpoint, 10, false)
	if err != nil || len(list) != 1 || list[0].ID != due[0].DeliveryID || list[0].Status != DeliveryDelivered {
		t.Fatalf("deliveries: %+v, err %v; want only the worker's, delivered", list, err)
	}

	// A job the request never attempted, handed over after the worker
	// took its event and delivered it: nothing more to send.
	late := leasedDelivery(t, s, board.project, "handed over late")
	*clock = clock.Add(deliveryLease + 2*time.Second)
	due, err = s.ClaimDueDeliveries(ctx, 10, time.Minute)
	if err != nil || len(due) != 1 || due[0].Event.ID != late.Event.ID {
		t.Fatalf("after the lease: %+v, err %v; want the event's delivery", due, err)
	}
	if err := s.RecordAttempts(ctx, []AttemptRecord{delivered(due[0], *clock)}); err != nil {
		t.Fatal(err)
	}
	handed := AttemptRecord{EndpointID: endpoint, EventID: late.Event.ID, EventAt: late.Event.CreatedAt,
		NotAttempted: true, Status: DeliveryPending, NextAttemptAt: *clock}
	if err := s.RecordAttempts(ctx, []AttemptRecord{handed}); err != nil {
		t.Fatal(err)
	}
	if due, err := s.ClaimDueDeliveries(ctx, 10, time.Minute); err != nil || len(due) != 0 {
		t.Fatalf("a delivered event handed over late: %d due, err %v; want none (it would be sent twice)", len(due), err)
	}
}

// Records handed over by several requests are written together: each
// delivery gets its own outcome, the endpoint its latest, and a failure
// after a success of the same write starts a new run of failures.
func TestQueuedRecordsShareOneWrite(t *testing.T) {
	s, board, endpoint, clock := fanoutStore(t)
	ctx := context.Background()
	old := leasedDelivery(t, s, board.project, "failed long ago")
	if err := s.RecordAttempts(ctx, []AttemptRecord{failedAt(old, *clock, 500)}); err != nil {
		t.Fatal(err)
	}
	longAgo := endpointByID(t, s, endpoint).FailingSince
	if longAgo.IsZero() {
		t.Fatal("a failed attempt did not mark the endpoint failing")
	}
	*clock = clock.Add(3 * 24 * time.Hour)
	ok := leasedDelivery(t, s, board.project, "delivered")
	bad := leasedDelivery(t, s, board.project, "failed after")
	// Hold the writer so both queued sets meet in one write.
	release := holdWriter(t, s)
	before := s.WriteStats()
	outcomes := make(chan error, 2)
	s.RecordAttemptsLater([]AttemptRecord{delivered(ok, *clock)}, func(err error) { outcomes <- err })
	s.RecordAttemptsLater([]AttemptRecord{failedAt(bad, clock.Add(time.Second), 503)}, func(err error) { outcomes <- err })
	release()
	for range 2 {
		if err := <-outcomes; err != nil {
			t.Fatal(err)
		}
	}
	if calls := s.WriteStats().Calls - before.Calls; calls != 2 {
		t.Fatalf("%d writes committed for the holding call and two queued sets, want 2 (the sets in one)", calls)
	}
	if d, err := deliveryOf(t, s, ok); err != nil || d.Status != DeliveryDelivered {
		t.Fatalf("delivered one: %+v, err %v", d, err)
	}
	if d, err := deliveryOf(t, s, bad); err != nil || d.Status != DeliveryPending || d.AttemptCount != 1 || d.LastStatus != 503 {
		t.Fatalf("failed one: %+v, err %v; want pending after one attempt, last status 503", d, err)
	}
	e := endpointByID(t, s, endpoint)
	if e.LastStatus != 503 || e.FailingSince.Equal(longAgo) || e.FailingSince.Before(clock.Add(-time.Second)) {
		t.Fatalf("endpoint: last status %d, failing since %v (the old run began %v); want 503, failing since now (%v)",
			e.LastStatus, e.FailingSince, longAgo, *clock)
	}
}

// A job not attempted (shutdown, or its lease could not be kept) becomes a
// pending delivery due when asked, with no attempt. Records for an endpoint
// deleted meanwhile (a request's, or the worker's attempt of a delivery
// that went with it) write nothing and fail nothing.
func TestNotAttemptedJobsGoToTheWorker(t *testing.T) {
	s, board, endpoint, clock := fanoutStore(t)
	ctx := context.Background()
	job := leasedDelivery(t, s, board.project, "not attempted")
	handed := AttemptRecord{EndpointID: endpoint, EventID: job.Event.ID, EventAt: job.Event.CreatedAt,
		NotAttempted: true, Status: DeliveryPending, NextAttemptAt: *clock}
	if err := s.RecordAttempts(ctx, []AttemptRecord{handed}); err != nil {
		t.Fatal(err)
	}
	due, err := s.ClaimDueDeliveries(ctx, 10, time.Minute)
	if err != nil || len(due) != 1 || due[0].Event.ID != job.Event.ID || due[0].AttemptCount != 0 {
		t.Fatalf("due: %+v, err %v; want the event's delivery, never attempted", due, err)
	}

	gone := leasedDelivery(t, s, board.project, "endpoint deleted meanwhile")
	if err := s.DeleteEndpoint(ctx, endpoint); err != nil {
		t.Fatal(err)
	}
	handed.EventID, handed.EventAt = gone.Event.ID, gone.Event.CreatedAt
	retry := delivered(due[0], *clock)
	retry.Attempt.Trigger = TriggerRetry
	if err := s.RecordAttempts(ctx, []AttemptRecord{handed, delivered(gone, *clock), retry}); err != nil {
		t.Fatalf("records of a deleted endpoint: %v", err)
	}
	var rows int
	if err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE event_id = ?`, gone.Event.ID).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("%d deliveries (err %v) written to a deleted endpoint", rows, err)
	}
	if err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM delivery_attempts WHERE delivery_id = ?`, due[0].DeliveryID).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("%d attempts (err %v) written to a deleted delivery", rows, err)
	}
}

// Outcomes of many requests written in one go (several rows per
// statement) each land on their own delivery: 19 tasks to two endpoints,
// every third handed to the worker unattempted.
func TestManyOutcomesInOneWrite(t *testing.T) {
	s, board, _, clock := fanoutStore(t)
	ctx := context.Background()
	if _, _, err := s.CreateEndpoint(ctx, NewEndpoint{Name: "second", URL: "http://127.0.0.1:2/hook", Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	var recs []AttemptRecord
	want := map[string]AttemptRecord{} // by event and endpoint
	for i := range 19 {
		_, evs, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: board.project, Title: fmt.Sprint("task ", i)})
		if err != nil {
			t.Fatal(err)
		}
		jobs, err := s.PendingDeliveries(ctx, evs)
		if err != nil || len(jobs) != 2 {
			t.Fatalf("task %d: %d jobs, err %v; want 2", i, len(jobs), err)
		}
		for k, j := range jobs {
			r := delivered(j, clock.Add(time.Duration(i)*time.Millisecond))
			r.Attempt.ResponseBody = fmt.Appendf(nil, "answer %s %d", j.Event.ID, j.Endpoint.ID)
			if (i+k)%3 == 0 {
				r = AttemptRecord{EndpointID: j.Endpoint.ID, EventID: j.Event.ID, EventAt: j.Event.CreatedAt,
					NotAttempted: true, Status: DeliveryPending, NextAttemptAt: *clock}
			}
			recs = append(recs, r)
			want[fmt.Sprint(j.Event.ID, j.Endpoint.ID)] = r
		}
	}
	if err := s.RecordAttempts(ctx, recs); err != nil {
		t.Fatal(err)
	}
	eps, err := s.Endpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range eps {
		list, err := s.Deliveries(ctx, e.ID, 100, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, listed := range list {
			d, err := s.Delivery(ctx, listed.ID)
			if err != nil {
				t.Fatal(err)
			}
			r, ok := want[fmt.Sprint(d.EventID, d.EndpointID)]
			if !ok {
				t.Fatalf("delivery %d of event %s to endpoint %d was not recorded", d.ID, d.EventID, d.EndpointID)
			}
			seen++
			if r.NotAttempted {
				if d.Status != DeliveryPending || d.AttemptCount != 0 || len(d.Attempts) != 0 {
					t.Errorf("unattempted delivery %d: %s, %d attempts; want pending, none", d.ID, d.Status, d.AttemptCount)
				}
				continue
			}
			if d.Status != DeliveryDelivered || len(d.Attempts) != 1 || string(d.Attempts[0].ResponseBody) != string(r.Attempt.ResponseBody) {
				t.Errorf("delivery %d: %s with %d attempts (%+v); want delivered with the answer %q",
					d.ID, d.Status, len(d.Attempts), d.Attempts, r.Attempt.ResponseBody)
			}
		}
	}
	if seen != len(recs) {
		t.Fatalf("%d deliveries written for %d records", seen, len(recs))
	}
}

// A success that would change only the time of a last attempt recorded less
// than a second before leaves the endpoint's row alone; anything else about
// its health is written at once.
func TestHealthWritesOnlyWhatChanged(t *testing.T) {
	s, board, endpoint, _ := fanoutStore(t)
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Millisecond)
	step := func(at time.Duration, rec func(DeliveryJob, time.Time) AttemptRecord) Endpoint {
		t.Helper()
		job := leasedDelivery(t, s, board.project, fmt.Sprintf("at %s", at))
		if err := s.RecordAttempts(ctx, []AttemptRecord{rec(job, t0.Add(at))}); err != nil {
			t.Fatal(err)
		}
		return endpointByID(t, s, endpoint)
	}
	ok := delivered
	okCreated := func(j DeliveryJob, at time.Time) AttemptRecord {
		r := delivered(j, at)
		r.Attempt.ResponseStatus = 201
		return r
	}
	fail := func(j DeliveryJob, at time.Time) AttemptRecord { return failedAt(j, at, 500) }
	for _, tc := range []struct {
		at      time.Duration
		rec     func(DeliveryJob, time.Time) AttemptRecord
		last    time.Duration // the last attempt time shown after it
		status  int
		failing bool
		why     string
	}{
		{0, ok, 0, 200, false, "first success: written"},
		{400 * time.Millisecond, ok, 0, 200, false, "same answer 0.4 s later: left alone"},
		{999 * time.Millisecond, ok, 0, 200, false, "same answer 0.999 s later: left alone"},
		{1000 * time.Millisecond, ok, 1000 * time.Millisecond, 200, false, "same answer 1 s later: written"},
		{1100 * time.Millisecond, fail, 1100 * time.Millisecond, 500, true, "a failure: written at once"},
		{1200 * time.Millisecond, ok, 1200 * time.Millisecond, 200, false, "a success after it: written at once"},
		{1300 * time.Millisecond, okCreated, 1300 * time.Millisecond, 201, false, "another status: written at once"},
	} {
		ep := step(tc.at, tc.rec)
		if !ep.LastAttemptAt.Equal(t0.Add(tc.last)) || ep.LastStatus != tc.status || ep.FailingSince.IsZero() == tc.failing {
			t.Fatalf("%s: last attempt +%s, status %d, failing since %v; want +%s, %d, failing %v", tc.why,
				ep.LastAttemptAt.Sub(t0), ep.LastStatus, ep.FailingSince, tc.last, tc.status, tc.failing)
		}
	}
}
