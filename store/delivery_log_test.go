package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// logFixture is a store on a clock the test moves, with endpoints and a
// helper that makes a task and records one attempt per endpoint.
type logFixture struct {
	t     *testing.T
	s     *Store
	mu    sync.Mutex
	clock time.Time
	board boardFixture
}

func newLogFixture(t *testing.T) *logFixture {
	t.Helper()
	// Event ids never go back in time within a process (ids.go), so the
	// fake clock starts after every id made so far: a time range then finds
	// the events of its hours, however many tests ran before.
	start := time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)
	uuidMu.Lock()
	if last := time.UnixMilli(uuidLast).Add(24 * time.Hour).Truncate(time.Hour); last.After(start) {
		start = last
	}
	uuidMu.Unlock()
	f := &logFixture{t: t, clock: start}
	s, err := openTest(t, testDB(t), Options{Now: f.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f.s = s
	f.board = newBoard(t, s, "Log")
	return f
}

func (f *logFixture) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock
}

func (f *logFixture) advance(d time.Duration) {
	f.mu.Lock()
	f.clock = f.clock.Add(d)
	f.mu.Unlock()
}

func (f *logFixture) endpoint(name string) int64 {
	f.t.Helper()
	ep, _, err := f.s.CreateEndpoint(context.Background(), NewEndpoint{Name: name, URL: "https://example.com/" + name})
	if err != nil {
		f.t.Fatal(err)
	}
	return ep.ID
}

// change makes a task and records, for each endpoint in turn, an attempt
// answered with the given statuses (0: no answer); a 2xx is delivered, a
// failure pending unless giveUp. It returns the task id.
func (f *logFixture) change(title string, latency time.Duration, giveUp bool, statuses ...int) int64 {
	f.t.Helper()
	ctx := context.Background()
	id, events, err := f.s.CreateTask(ctx, Actor{}, NewTask{ProjectID: f.board.project, Title: title})
	if err != nil {
		f.t.Fatal(err)
	}
	jobs, err := f.s.PendingDeliveries(ctx, events)
	if err != nil || len(jobs) != len(statuses) {
		f.t.Fatalf("%d jobs (%v), want %d", len(jobs), err, len(statuses))
	}
	var recs []AttemptRecord
	for i, j := range jobs {
		rec := AttemptRecord{EndpointID: j.Endpoint.ID, EventID: j.Event.ID, EventAt: j.Event.CreatedAt,
			Attempt: Attempt{Trigger: TriggerSync, StartedAt: f.now(), Latency: latency, RequestURL: j.Endpoint.URL,
				RequestHeaders: map[string]string{}, RequestBody: []byte("{}"), ResponseStatus: statuses[i]}}
		switch {
		case statuses[i] >= 200 && statuses[i] < 300:
			rec.Status, rec.Success = DeliveryDelivered, true
		case giveUp:
			rec.Status = DeliveryFailed
		default:
			rec.Status, rec.NextAttemptAt = DeliveryPending, f.now().Add(time.Hour)
		}
		if statuses[i] == 0 {
			rec.Attempt.Error = "timeout"
		}
		recs = append(recs, rec)
	}
	if err := f.s.RecordAttempts(ctx, recs); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *logFixture) ids(filter DeliveryFilter) []int64 {
	f.t.Helper()
	page, err := f.s.DeliveryLog(context.Background(), filter)
	if err != nil {
		f.t.Fatalf("%+v: %v", filter, err)
	}
	var out []int64
	for _, d := range page.Deliveries {
		out = append(out, d.ID)
	}
	return out
}

func TestDeliveryLogFilters(t *testing.T) {
	f := newLogFixture(t)
	ctx := context.Background()
	chat, crm := f.endpoint("chat"), f.endpoint("crm")
	start := f.now()
	f.change("one", 10*time.Millisecond, false, 200, 500) // deliveries 1 (chat ok), 2 (crm retrying)
	f.advance(time.Hour)
	taskTwo := f.change("two", 20*time.Millisecond, true, 204, 0) // 3 (chat ok), 4 (crm failed, no answer)
	f.advance(time.Hour)
	f.change("three", 30*time.Millisecond, true, 410, 404) // 5, 6 failed
	if _, err := f.s.CloseTask(ctx, Actor{}, taskTwo); err != nil {
		t.Fatal(err)
	}
	// The close's deliveries are owed but not attempted: pending.
	all := f.ids(DeliveryFilter{})
	if len(all) != 6 {
		t.Fatalf("log holds %v, want 6 attempted deliveries", all)
	}
	page, _ := f.s.DeliveryLog(ctx, DeliveryFilter{WebhookID: "x"})
	if len(page.Deliveries) != 0 {
		t.Fatalf("an unknown webhook-id found %+v", page.Deliveries)
	}
	byStatus := map[int64]Delivery{}
	p, _ := f.s.DeliveryLog(ctx, DeliveryFilter{})
	for _, d := range p.Deliveries {
		byStatus[d.ID] = d
	}
	twoEvent := byStatus[3].EventID
	for _, c := range []struct {
		name string
		f    DeliveryFilter
		want []int64
	}{
		{"endpoint", DeliveryFilter{EndpointID: chat}, []int64{5, 3, 1}},
		{"event", DeliveryFilter{Event: EventTaskCreate}, []int64{6, 5, 4, 3, 2, 1}},
		{"other event", DeliveryFilter{Event: EventTaskClose}, nil},
		{"delivered", DeliveryFilter{Status: DeliveryDelivered}, []int64{3, 1}},
		{"failed", DeliveryFilter{Status: DeliveryFailed}, []int64{6, 5, 4}},
		{"retrying", DeliveryFilter{Status: FilterRetrying}, []int64{2}},
		{"pending", DeliveryFilter{Status: DeliveryPending}, nil},
		{"undelivered", DeliveryFilter{Status: FilterUndelivered}, []int64{6, 5, 4, 2}},
		{"2xx", DeliveryFilter{HTTPClass: 2}, []int64{3, 1}},
		{"4xx", DeliveryFilter{HTTPClass: 4}, []int64{6, 5}},
		{"5xx", DeliveryFilter{HTTPClass: 5}, []int64{2}},
		{"no answer", DeliveryFilter{HTTPClass: -1}, []int64{4}},
		{"since", DeliveryFilter{Since: start.Add(time.Hour)}, []int64{6, 5, 4, 3}},
		{"until", DeliveryFilter{Until: start.Add(time.Hour)}, []int64{2, 1}},
		{"range", DeliveryFilter{Since: start.Add(30 * time.Minute), Until: start.Add(90 * time.Minute)}, []int64{4, 3}},
		{"webhook-id", DeliveryFilter{WebhookID: twoEvent}, []int64{4, 3}},
		{"task", DeliveryFilter{TaskID: taskTwo}, []int64{4, 3}},
		{"combined", DeliveryFilter{EndpointID: crm, Status: DeliveryFailed, HTTPClass: 4}, []int64{6}},
	} {
		if got := f.ids(c.f); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	for _, bad := range []DeliveryFilter{
		{Status: "lost"}, {HTTPClass: 1}, {HTTPClass: 7}, {Before: 3, After: 1}, {Limit: MaxDeliveryPage + 1},
		{Since: start, Until: start},
	} {
		var inv *InvalidError
		if _, err := f.s.DeliveryLog(ctx, bad); !errors.As(err, &inv) {
			t.Errorf("%+v: %v, want an InvalidError", bad, err)
		}
	}
}

func TestDeliveryLogPagesStayPutWhileDeliveriesArrive(t *testing.T) {
	f := newLogFixture(t)
	ctx := context.Background()
	f.endpoint("chat")
	for i := range 7 {
		f.change("task "+string(rune('a'+i)), time.Millisecond, false, 200)
	}
	first, err := f.s.DeliveryLog(ctx, DeliveryFilter{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(first); !slices.Equal(got, []int64{7, 6, 5}) || first.Newer != 0 || first.Older != 5 {
		t.Fatalf("first page %v newer %d older %d", got, first.Newer, first.Older)
	}
	// New deliveries arrive: the older page is the same.
	f.change("late", time.Millisecond, false, 200)
	second, _ := f.s.DeliveryLog(ctx, DeliveryFilter{Limit: 3, Before: first.Older})
	if got := idsOf(second); !slices.Equal(got, []int64{4, 3, 2}) || second.Newer != 4 || second.Older != 2 {
		t.Fatalf("second page %v newer %d older %d", got, second.Newer, second.Older)
	}
	last, _ := f.s.DeliveryLog(ctx, DeliveryFilter{Limit: 3, Before: second.Older})
	if got := idsOf(last); !slices.Equal(got, []int64{1}) || last.Older != 0 || last.Newer != 1 {
		t.Fatalf("last page %v newer %d older %d", got, last.Newer, last.Older)
	}
	// Back towards the newest: three at a time, the newest page then shows
	// the one that arrived.
	back, _ := f.s.DeliveryLog(ctx, DeliveryFilter{Limit: 3, After: last.Newer})
	if got := idsOf(back); !slices.Equal(got, []int64{4, 3, 2}) || back.Newer != 4 || back.Older != 2 {
		t.Fatalf("newer page %v newer %d older %d", got, back.Newer, back.Older)
	}
	top, _ := f.s.DeliveryLog(ctx, DeliveryFilter{Limit: 3, After: back.Newer})
	if got := idsOf(top); !slices.Equal(got, []int64{7, 6, 5}) || top.Newer != 7 {
		t.Fatalf("newest-but-one page %v newer %d", got, top.Newer)
	}
	newest, _ := f.s.DeliveryLog(ctx, DeliveryFilter{Limit: 3, After: top.Newer})
	if got := idsOf(newest); !slices.Equal(got, []int64{8}) || newest.Newer != 0 || newest.Older != 8 {
		t.Fatalf("newest page %v newer %d older %d", got, newest.Newer, newest.Older)
	}
}

func idsOf(p DeliveryLogPage) []int64 {
	var out []int64
	for _, d := range p.Deliveries {
		out = append(out, d.ID)
	}
	return out
}

// TestDeliveryLogQueryPlans: each filter of the log, alone and with a
// cursor, reads an index, never a whole table.
func TestDeliveryLogQueryPlans(t *testing.T) {
	skipOnPostgres(t, "the query plans asserted are SQLite's (EXPLAIN QUERY PLAN)")
	s := openTestStore(t)
	ctx := context.Background()
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range []DeliveryFilter{
		{EndpointID: 1}, {Event: EventTaskCreate},
		{Status: DeliveryDelivered}, {Status: DeliveryFailed}, {Status: DeliveryPending}, {Status: FilterRetrying}, {Status: FilterUndelivered},
		{HTTPClass: 2}, {HTTPClass: 5}, {HTTPClass: -1},
		{Since: at}, {Until: at}, {Since: at, Until: at.Add(time.Hour)},
		{WebhookID: "01946c1e-5a00-7000-8000-000000000000"}, {TaskID: 42},
		{EndpointID: 1, Before: 100}, {Status: DeliveryFailed, After: 100}, {Event: EventTaskCreate, Before: 100},
		{Since: at, Before: 100}, {Until: at, After: 100}, {Since: at, EndpointID: 1}, {Since: at, Event: EventTaskCreate},
		{Since: at, Until: at.Add(time.Hour), Status: DeliveryFailed}, {Until: at, HTTPClass: 5}, {Since: at, TaskID: 42},
	} {
		plan, err := explainDeliveryLog(ctx, s, f)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v: %q", f, plan)
		for _, step := range plan {
			// The time range's look-up is one row of scalar subqueries.
			if strings.HasPrefix(step, "SCAN ") && step != "SCAN CONSTANT ROW" {
				t.Errorf("filter %+v reads a whole table or index: %q", f, plan)
			}
		}
	}
}

func TestRequestRedeliveries(t *testing.T) {
	f := newLogFixture(t)
	ctx := context.Background()
	chat, crm := f.endpoint("chat"), f.endpoint("crm")
	f.change("old", time.Millisecond, true, 200, 500) // 1 ok, 2 failed
	f.advance(2 * time.Hour)
	since := f.now()
	f.change("new", time.Millisecond, false, 200, 503) // 3 ok, 4 retrying
	f.change("newer", time.Millisecond, true, 200, 0)  // 5 ok, 6 failed
	n, err := f.s.RequestRedeliveries(ctx, RedeliverySelection{EndpointID: crm, Since: since})
	if err != nil || n != 2 {
		t.Fatalf("endpoint since: %d %v, want 2", n, err)
	}
	if q, _ := f.s.QueuedRedeliveries(ctx, crm); q != 2 {
		t.Fatalf("queued for crm %d, want 2", q)
	}
	if q, _ := f.s.QueuedRedeliveries(ctx, chat); q != 0 {
		t.Fatalf("queued for chat %d, want 0", q)
	}
	reqs, err := f.s.TakeSendRequests(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, r := range reqs {
		if r.Trigger != TriggerRedeliver {
			t.Fatalf("request %+v", r)
		}
		got = append(got, r.DeliveryID)
	}
	if !slices.Equal(got, []int64{4, 6}) {
		t.Fatalf("queued deliveries %v, want [4 6]", got)
	}
	if n, err := f.s.RequestRedeliveries(ctx, RedeliverySelection{DeliveryIDs: []int64{1, 5, 5}}); err != nil || n != 2 {
		t.Fatalf("chosen: %d %v, want 2", n, err)
	}
	// Unknown ids, an unknown endpoint or nothing chosen queue nothing.
	for _, sel := range []RedeliverySelection{{DeliveryIDs: []int64{1, 99}}, {EndpointID: 99}, {}} {
		if n, err := f.s.RequestRedeliveries(ctx, sel); err == nil || n != 0 {
			t.Errorf("%+v: %d %v, want a refusal", sel, n, err)
		}
	}
	if q, _ := f.s.QueuedRedeliveries(ctx, 0); q != 4 {
		t.Fatalf("queued in all %d, want 4 (2 taken, 2 waiting)", q)
	}
}

func TestEndpointHealthBuckets(t *testing.T) {
	f := newLogFixture(t)
	ctx := context.Background()
	chat, crm := f.endpoint("chat"), f.endpoint("crm")
	f.advance(-3 * time.Hour) // three hours ago
	for i, ms := range []int{10, 20, 30, 40} {
		status := 200
		if i == 3 {
			status = 500
		}
		f.change("early", time.Duration(ms)*time.Millisecond, true, status, 200)
	}
	f.advance(2 * time.Hour) // an hour ago
	f.change("later", 100*time.Millisecond, true, 200, 0)
	f.advance(time.Hour)
	h, err := f.s.EndpointHealth(ctx, 0, f.now(), time.Hour, 24)
	if err != nil {
		t.Fatal(err)
	}
	b := h[chat]
	if len(b) != 24 {
		t.Fatalf("chat has %d buckets", len(b))
	}
	early, later := b[21], b[23]
	if early.Attempts != 4 || early.Succeeded != 3 || early.P50 != 20*time.Millisecond || early.P95 != 40*time.Millisecond {
		t.Fatalf("three hours ago: %+v", early)
	}
	if later.Attempts != 1 || later.SuccessRate() != 1 || later.P95 != 100*time.Millisecond {
		t.Fatalf("an hour ago: %+v", later)
	}
	if b[22].Attempts != 0 || b[22].SuccessRate() != -1 {
		t.Fatalf("two hours ago: %+v", b[22])
	}
	if c := h[crm][23]; c.Attempts != 1 || c.Succeeded != 0 {
		t.Fatalf("crm an hour ago: %+v", c)
	}
	one, err := f.s.EndpointHealth(ctx, 99, f.now(), 24*time.Hour, 7)
	if err != nil || len(one) != 1 || len(one[99]) != 7 || one[99][6].Attempts != 0 {
		t.Fatalf("an endpoint without attempts: %+v %v", one, err)
	}
}

// explainDeliveryLog is SQLite's query plan of the page f asks for, one
// line per step: the look-up of a time range's ids first, then the page.
func explainDeliveryLog(ctx context.Context, s *Store, f DeliveryFilter) ([]string, error) {
	var plan []string
	if f.timed() {
		query, args := f.spanQuery()
		steps, err := explainQuery(ctx, s, query, args)
		if err != nil {
			return nil, err
		}
		plan = steps
	}
	query, args := f.query(51, idSpan{first: 1, last: 100})
	steps, err := explainQuery(ctx, s, query, args)
	return append(plan, steps...), err
}

func explainQuery(ctx context.Context, s *Store, query string, args []any) ([]string, error) {
	rows, err := s.reader.QueryContext(ctx, `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		out = append(out, detail)
	}
	return out, rows.Err()
}

// TestDeliveryLogTimeRangeWhenIDsAndTimesDisagree: a delivery written
// with an earlier clock after a later one (a second process whose clock is
// behind) has a larger id and an earlier time; every time range answers
// exactly the deliveries created in it, and its pages neither skip nor
// repeat one, also when deliveries arrive between pages.
func TestDeliveryLogTimeRangeWhenIDsAndTimesDisagree(t *testing.T) {
	f := newLogFixture(t)
	ctx := context.Background()
	f.endpoint("chat")
	t0 := f.now()
	f.advance(2 * time.Hour)
	f.change("ahead", time.Millisecond, false, 200) // delivery 1 at t0+2h
	f.advance(-2 * time.Hour)
	f.change("behind", time.Millisecond, false, 200) // 2 at t0: a larger id, an earlier time
	f.advance(3 * time.Hour)
	f.change("later", time.Millisecond, false, 200) // 3 at t0+3h
	f.advance(-150 * time.Minute)
	f.change("behind again", time.Millisecond, false, 200) // 4 at t0+30m
	for _, c := range []struct {
		name         string
		since, until time.Duration // from t0; 0 is no bound
		want         []int64
	}{
		{"around the late one", -30 * time.Minute, 10 * time.Minute, []int64{2}},
		{"between its neighbours' times", 20 * time.Minute, time.Hour, []int64{4}},
		{"the early clock's hours", -time.Hour, 90 * time.Minute, []int64{4, 2}},
		{"the later clock's hours", 90 * time.Minute, 4 * time.Hour, []int64{3, 1}},
		{"since", 90 * time.Minute, 0, []int64{3, 1}},
		{"until", 0, 150 * time.Minute, []int64{4, 2, 1}},
		{"all", -time.Hour, 4 * time.Hour, []int64{4, 3, 2, 1}},
		{"none", 4 * time.Hour, 5 * time.Hour, nil},
	} {
		var filter DeliveryFilter
		if c.since != 0 {
			filter.Since = t0.Add(c.since)
		}
		if c.until != 0 {
			filter.Until = t0.Add(c.until)
		}
		if got := f.ids(filter); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// One delivery a page through the early clock's hours, a late delivery
	// in the range arriving between the pages.
	filter := DeliveryFilter{Since: t0.Add(-time.Hour), Until: t0.Add(90 * time.Minute), Limit: 1}
	first, err := f.s.DeliveryLog(ctx, filter)
	if err != nil || !slices.Equal(idsOf(first), []int64{4}) {
		t.Fatalf("first page %v (%v)", idsOf(first), err)
	}
	f.advance(-time.Hour)
	f.change("behind, meanwhile", time.Millisecond, false, 200) // 5 at t0-30m
	filter.Before = first.Older
	second, _ := f.s.DeliveryLog(ctx, filter)
	if got := idsOf(second); !slices.Equal(got, []int64{2}) || second.Older != 0 || second.Newer != 2 {
		t.Fatalf("older page %v newer %d older %d", got, second.Newer, second.Older)
	}
	filter.Before, filter.After = 0, second.Newer
	back, _ := f.s.DeliveryLog(ctx, filter)
	if got := idsOf(back); !slices.Equal(got, []int64{4}) || back.Newer != 4 {
		t.Fatalf("newer page %v newer %d", got, back.Newer)
	}
	filter.After = back.Newer
	newest, _ := f.s.DeliveryLog(ctx, filter)
	if got := idsOf(newest); !slices.Equal(got, []int64{5}) || newest.Newer != 0 {
		t.Fatalf("newest page %v newer %d", got, newest.Newer)
	}
}
