package notify

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hookboard/handlers"
	"hookboard/store"
)

// TestSlowEndpointCostsAtMostItsTimeout: three endpoints, one never
// answers. The incoming request that creates the task completes while that
// receiver is still blocked, the two others got the event, and the slow
// attempt is recorded as timed out and retried later by the worker.
func TestSlowEndpointCostsAtMostItsTimeout(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()

	release := make(chan struct{})
	slowHits := make(chan struct{}, 10)
	fast1, fast2 := newReceiver(t), newReceiver(t)
	// concurrent says whether both fast receivers were reached while the
	// slow one still held its first request open: the endpoints are
	// attempted side by side, not one after the other (the slow one is
	// second of three, so a sequential sender would reach fast2 only after
	// the slow attempt's timeout had closed this request).
	concurrent := make(chan bool, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body: only then does the server notice the client
		// hanging up and end r.Context().
		io.Copy(io.Discard, r.Body)
		slowHits <- struct{}{}
		if len(slowHits) == 1 {
			both := true
			for _, rc := range []*receiver{fast1, fast2} {
				select {
				case <-rc.notify:
				case <-r.Context().Done():
					both = false
				}
			}
			concurrent <- both
		}
		<-release // blocks until the test ends
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) }) // runs before slow.Close

	epFast1, _ := addEndpoint(t, db.st, store.NewEndpoint{Name: "fast1", URL: fast1.URL()})
	epSlow, _ := addEndpoint(t, db.st, store.NewEndpoint{Name: "slow", URL: slow.URL, Timeout: time.Second})
	epFast2, _ := addEndpoint(t, db.st, store.NewEndpoint{Name: "fast2", URL: fast2.URL(), Format: store.FormatTransit})

	n := newTestNotifier(t, db.st, c, 10*time.Second)
	app := handlers.New(handlers.Deps{Store: db.st, Notifier: n, Now: c.Now})
	srv := httptest.NewServer(app.Routes())
	t.Cleanup(srv.Close)

	resp, err := http.PostForm(srv.URL+"/webhook/task", url.Values{"token": {db.first.IncomingToken}, "title": {"From a script"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("incoming webhook answered %d", resp.StatusCode)
	}
	select {
	case <-release:
		t.Fatal("the slow receiver was released before the request completed")
	default: // still blocked: the request did not wait for it
	}
	if len(slowHits) != 1 {
		t.Fatalf("slow receiver was called %d times, want 1", len(slowHits))
	}
	if !<-concurrent {
		t.Error("the fast endpoints were not reached while the slow one was still being attempted")
	}
	for _, rc := range []*receiver{fast1, fast2} {
		if got := rc.requests(); len(got) != 1 || got[0].Header.Get("X-Hookboard-Event") != "task.create" {
			t.Fatalf("fast receiver got %+v", got)
		}
	}
	// An integration made the change: Kanboard's event_author is null.
	if body := string(fast1.requests()[0].Body); !strings.Contains(body, `"title":"From a script"`) || !strings.HasSuffix(body, `"event_author":null}`) {
		t.Errorf("kanboard body %s", body)
	}
	for _, id := range []int64{epFast1.ID, epFast2.ID} {
		if d := onlyDelivery(t, db.st, id); d.Status != store.DeliveryDelivered {
			t.Errorf("endpoint %d delivery = %s", id, d.Status)
		}
	}
	d := onlyDelivery(t, db.st, epSlow.ID)
	if d.Status != store.DeliveryPending || len(d.Attempts) != 1 || d.Attempts[0].Error != "timed out after 1s" || d.Attempts[0].ResponseStatus != 0 {
		t.Fatalf("slow delivery = %+v attempts %+v", d, d.Attempts)
	}
	if want := c.Now().Add(5 * time.Second); !d.NextAttemptAt.Equal(want) {
		t.Errorf("next attempt at %s, want %s (5 s after the first)", d.NextAttemptAt, want)
	}
	ep, err := db.st.Endpoint(ctx, epSlow.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !ep.FailingSince.Equal(c.Now()) || ep.LastError != "timed out after 1s" || ep.LastStatus != 0 ||
		!ep.LastAttemptAt.Equal(c.Now()) || ep.PendingCount != 1 {
		t.Errorf("slow endpoint health = %+v", ep)
	}

	// Not due yet: the worker leaves it alone.
	c.Advance(3 * time.Second)
	if k, err := n.RunOnce(ctx); err != nil || k != 0 {
		t.Fatalf("worker before the retry time attempted %d (%v)", k, err)
	}
	c.Advance(3 * time.Second)
	if k, err := n.RunOnce(ctx); err != nil || k != 1 {
		t.Fatalf("worker at the retry time attempted %d (%v), want 1", k, err)
	}
	d = onlyDelivery(t, db.st, epSlow.ID)
	if len(d.Attempts) != 2 || d.Attempts[1].Trigger != store.TriggerRetry || d.Attempts[1].Error != "timed out after 1s" {
		t.Fatalf("after retry: %+v", d.Attempts)
	}
	if want := c.Now().Add(5 * time.Minute); !d.NextAttemptAt.Equal(want) {
		t.Errorf("next attempt at %s, want %s (5 min)", d.NextAttemptAt, want)
	}
	if len(fast1.requests()) != 1 || len(fast2.requests()) != 1 {
		t.Error("delivered endpoints were attempted again")
	}
}

// TestReceiverDownThenUp: the first attempt cannot connect; the process
// then stops (notifier and database closed) while the receiver is still
// down; a new process on the same file, once the receiver is back, has the
// worker deliver the event with the same webhook-id, exactly once.
func TestReceiverDownThenUp(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // down: connection refused
	ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: "http://" + addr + "/hook"})
	n := newTestNotifier(t, db.st, c, 10*time.Second)

	events := createTask(t, db.st, "while down")
	n.Deliver(ctx, events)
	d := onlyDelivery(t, db.st, ep.ID)
	if d.Status != store.DeliveryPending || len(d.Attempts) != 1 || !strings.Contains(d.Attempts[0].Error, "refused") {
		t.Fatalf("first attempt: %+v %+v", d, d.Attempts)
	}
	firstID := d.Attempts[0].RequestHeaders["Webhook-Id"]

	// The process stops in the middle of the retry schedule.
	if err := n.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.st.Close(); err != nil {
		t.Fatal(err)
	}

	// The receiver comes back on the same address (Go listeners set
	// SO_REUSEADDR, so the port can be taken again at once).
	rc := &receiver{notify: make(chan struct{}, 10)}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("cannot listen on %s again: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(rc.serve))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	// The next process opens the same file.
	st2, err := store.Open(db.path, store.Options{Now: c.Now, KeyFile: db.key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	n2 := newTestNotifier(t, st2, c, 10*time.Second)
	if k, err := n2.RunOnce(ctx); err != nil || k != 0 {
		t.Fatalf("worker before the retry time attempted %d (%v)", k, err)
	}
	c.Advance(6 * time.Second)
	if k, err := n2.RunOnce(ctx); err != nil || k != 1 {
		t.Fatalf("worker attempted %d (%v)", k, err)
	}
	if k, err := n2.RunOnce(ctx); err != nil || k != 0 {
		t.Fatalf("delivered delivery attempted again: %d (%v)", k, err)
	}
	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests", len(got))
	}
	if id := got[0].Header.Get("webhook-id"); id != events[0] || id != firstID {
		t.Errorf("webhook-id %q, first attempt had %q, event %q", id, firstID, events[0])
	}
	d = onlyDelivery(t, st2, ep.ID)
	if d.Status != store.DeliveryDelivered || d.AttemptCount != 2 || d.Attempts[1].Trigger != store.TriggerRetry {
		t.Errorf("delivery after retry: %+v", d)
	}
	if e, _ := st2.Endpoint(ctx, ep.ID); !e.FailingSince.IsZero() {
		t.Errorf("failing_since not cleared on success: %s", e.FailingSince)
	}
}

// TestRestartLosesNothing: the process stops after committing the change
// and before delivering; a new process on the same file delivers it once
// the lease has passed, and only once.
func TestRestartLosesNothing(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	rc := newReceiver(t)
	addEndpoint(t, db.st, store.NewEndpoint{URL: rc.URL()})

	// First process: a real server without a notifier stands for one that
	// dies between commit and delivery. It registered as a server, and
	// what follows is another instance: nobody knows the first one is gone.
	if err := db.st.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handlers.New(handlers.Deps{Store: db.st, Now: c.Now}).Routes())
	resp, err := http.Get(srv.URL + "/webhook/task?title=Before+crash&token=" + url.QueryEscape(db.first.IncomingToken))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Close()
	evs, err := db.st.Events(ctx, 1)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events: %v %v", evs, err)
	}
	if err := db.st.Close(); err != nil {
		t.Fatal(err)
	}

	st2, err := store.Open(db.path, store.Options{Now: c.Now, KeyFile: db.key})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	n := newTestNotifier(t, st2, c, 10*time.Second)
	if k, _ := n.RunOnce(ctx); k != 0 {
		t.Fatalf("worker took a delivery still leased to the request (%d)", k)
	}
	c.Advance(31*time.Second + time.Second)
	if k, err := n.RunOnce(ctx); err != nil || k != 1 {
		t.Fatalf("worker after the lease attempted %d (%v)", k, err)
	}
	if k, _ := n.RunOnce(ctx); k != 0 {
		t.Fatalf("delivered delivery attempted again (%d)", k)
	}
	got := rc.requests()
	if len(got) != 1 || got[0].Header.Get("webhook-id") != evs[0].ID {
		t.Fatalf("receiver got %d requests (%v)", len(got), got)
	}
}

func TestScheduleRetryAfterAndGiveUp(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	rc := newReceiver(t)
	rc.status = func(k int) (int, http.Header) {
		if k == 1 {
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"3600"}} // clamped to 2×5 s
		}
		if k == 2 {
			return http.StatusServiceUnavailable, http.Header{"Retry-After": {"1"}} // clamped up to 5 min
		}
		return http.StatusInternalServerError, nil
	}
	ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: rc.URL()})
	n := newTestNotifier(t, db.st, c, 10*time.Second)
	n.Deliver(ctx, createTask(t, db.st, "x"))

	wantWaits := []time.Duration{10 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	for i, wait := range wantWaits {
		d := onlyDelivery(t, db.st, ep.ID)
		if d.Status != store.DeliveryPending || d.AttemptCount != i+1 {
			t.Fatalf("after attempt %d: %+v", i+1, d)
		}
		if got := d.NextAttemptAt.Sub(c.Now()); got != wait {
			t.Fatalf("wait after attempt %d = %s, want %s", i+1, got, wait)
		}
		c.Advance(wait)
		if k, err := n.RunOnce(ctx); err != nil || k != 1 {
			t.Fatalf("retry %d: attempted %d (%v)", i+1, k, err)
		}
	}
	d := onlyDelivery(t, db.st, ep.ID)
	if d.Status != store.DeliveryFailed || d.AttemptCount != 8 || d.FinishedAt.IsZero() {
		t.Fatalf("after the last retry: %+v", d)
	}
	if e, _ := db.st.Endpoint(ctx, ep.ID); e.FailedCount24h != 1 || e.PendingCount != 0 || e.LastStatus != 500 {
		t.Errorf("endpoint health after giving up: %+v", e)
	}
	failed, err := db.st.Deliveries(ctx, ep.ID, 10, true)
	if err != nil || len(failed) != 1 {
		t.Fatalf("failed-only list: %v %v", failed, err)
	}
	// Nearly two days of failures: flagged, not yet disabled.
	e, _ := db.st.Endpoint(ctx, ep.ID)
	if !e.Enabled || e.FailingSince.IsZero() {
		t.Fatalf("endpoint after failures: %+v", e)
	}

	// Redeliver after the receiver is fixed: same webhook-id, delivered.
	rc.status = nil
	d, err = n.Redeliver(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != store.DeliveryDelivered || d.Attempts[len(d.Attempts)-1].Trigger != store.TriggerRedeliver {
		t.Fatalf("after redeliver: %+v", d)
	}
	got := rc.requests()
	if got[0].Header.Get("webhook-id") != got[len(got)-1].Header.Get("webhook-id") {
		t.Error("redelivery changed the webhook-id")
	}
}

// TestJitterSpreadsRetriesByTwentyPercent: the jitter source's extremes
// map to 0.8 and (almost) 1.2 times each step of the schedule, its middle
// to the step itself.
func TestJitterSpreadsRetriesByTwentyPercent(t *testing.T) {
	for _, tc := range []struct {
		jitter    float64
		low, high float64 // bounds of delay/step
	}{
		{0, 0.8, 0.8},
		{0.5, 1, 1},
		{0.999999, 1.1999, 1.2},
	} {
		n := &Notifier{jitter: func() float64 { return tc.jitter }, now: time.Now}
		for i, step := range Schedule {
			d := n.nextDelay(i+1, nil)
			lo, hi := time.Duration(float64(step)*tc.low), time.Duration(float64(step)*tc.high)
			if d < lo || d > hi {
				t.Errorf("jitter %v step %s: delay %s outside [%s, %s]", tc.jitter, step, d, lo, hi)
			}
		}
	}
}

// TestRetryAfterAsHTTPDate: a 503's Retry-After given as an HTTP date is
// honoured within [step, 2×step]; other statuses ignore it.
func TestRetryAfterAsHTTPDate(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	n := &Notifier{jitter: func() float64 { return 0.5 }, now: func() time.Time { return now }}
	answer := func(code int, after time.Duration) *http.Response {
		return &http.Response{StatusCode: code, Header: http.Header{"Retry-After": {now.Add(after).Format(http.TimeFormat)}}}
	}
	cases := []struct {
		resp *http.Response
		made int
		want time.Duration
	}{
		{answer(http.StatusServiceUnavailable, 7*time.Second), 1, 7 * time.Second},                           // within [5 s, 10 s]
		{answer(http.StatusServiceUnavailable, time.Hour), 1, 10 * time.Second},                              // clamped to 2×5 s
		{answer(http.StatusTooManyRequests, -time.Hour), 2, 5 * time.Minute},                                 // in the past: the step
		{answer(http.StatusInternalServerError, 7*time.Second), 1, 5 * time.Second},                          // not 429/503: the schedule
		{&http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"soon"}}}, 3, 30 * time.Minute}, // unreadable
	}
	for i, tc := range cases {
		if got := n.nextDelay(tc.made, tc.resp); got != tc.want {
			t.Errorf("case %d: delay %s, want %s", i, got, tc.want)
		}
	}
}

func TestGoneDisablesEndpointAndFiveDaysOfFailureToo(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	gone := newReceiver(t)
	gone.status = func(int) (int, http.Header) { return http.StatusGone, nil }
	broken := newReceiver(t)
	broken.status = func(int) (int, http.Header) { return http.StatusBadGateway, nil }
	epGone, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: gone.URL()})
	epBroken, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: broken.URL()})
	n := newTestNotifier(t, db.st, c, 10*time.Second)

	n.Deliver(ctx, createTask(t, db.st, "a"))
	e, _ := db.st.Endpoint(ctx, epGone.ID)
	if e.Enabled || !strings.Contains(e.DisabledReason, "410") {
		t.Fatalf("410 did not disable: %+v", e)
	}
	if d := onlyDelivery(t, db.st, epGone.ID); d.Status != store.DeliveryFailed {
		t.Errorf("410 delivery status %s", d.Status)
	}

	// The broken one keeps failing: after 4 days it is flagged, still
	// enabled; 5 days after its first failure the next failure disables it.
	c.Advance(4 * 24 * time.Hour)
	n.Deliver(ctx, createTask(t, db.st, "b"))
	if e, _ = db.st.Endpoint(ctx, epBroken.ID); !e.Enabled || e.FailingSince.IsZero() {
		t.Fatalf("4 days of failures: %+v, want enabled and flagged", e)
	}
	c.Advance(24*time.Hour + time.Minute)
	n.Deliver(ctx, createTask(t, db.st, "c"))
	e, _ = db.st.Endpoint(ctx, epBroken.ID)
	if e.Enabled || !strings.Contains(e.DisabledReason, "5 days") {
		t.Fatalf("5 days of failures did not disable: %+v", e)
	}
	// A disabled endpoint gets no new deliveries and no requests.
	before := len(broken.requests())
	n.Deliver(ctx, createTask(t, db.st, "while disabled"))
	if list, _ := db.st.Deliveries(ctx, epBroken.ID, 10, false); len(list) != 3 || len(broken.requests()) != before {
		t.Fatalf("a disabled endpoint got a delivery: %d deliveries, %d requests (had %d)", len(list), len(broken.requests()), before)
	}
	// Enabling clears the flag.
	if err := db.st.SetEndpointEnabled(ctx, epBroken.ID, true); err != nil {
		t.Fatal(err)
	}
	e, _ = db.st.Endpoint(ctx, epBroken.ID)
	if !e.Enabled || !e.FailingSince.IsZero() || e.DisabledReason != "" {
		t.Errorf("after enable: %+v", e)
	}
}

// TestRequestNeverAttemptsPastItsLease: a request that reaches its
// deliveries too late (its lease would end before the endpoint timeout)
// leaves them to the worker instead of racing it.
func TestRequestNeverAttemptsPastItsLease(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	rc := newReceiver(t)
	ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: rc.URL(), Timeout: time.Second})
	n := newTestNotifier(t, db.st, c, 10*time.Second)
	events := createTask(t, db.st, "late")
	c.Advance(30*time.Second + 500*time.Millisecond) // lease: 30 s + 1 s
	n.Deliver(ctx, events)
	if len(rc.requests()) != 0 {
		t.Fatal("attempted with less than the endpoint timeout left on the lease")
	}
	if d := onlyDelivery(t, db.st, ep.ID); d.Status != store.DeliveryPending || d.AttemptCount != 0 {
		t.Fatalf("delivery after the skipped attempt: %+v", d)
	}
	c.Advance(time.Second)
	if k, err := n.RunOnce(ctx); err != nil || k != 1 || len(rc.requests()) != 1 {
		t.Fatalf("worker after the lease: %d %v, receiver got %d", k, err, len(rc.requests()))
	}
}

// TestStopIsBoundedAndLosesNothing: shutdown waits for running deliveries
// only as long as its context allows; an attempt cut off is not recorded,
// stays pending, and the next start delivers it.
func TestStopIsBoundedAndLosesNothing(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			<-release // the first attempt hangs past the shutdown bound
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: srv.URL, Timeout: 5 * time.Second})

	allow, _ := ParseAllowlist("loopback")
	n, err := New(Options{Store: db.st, Allow: allow, Now: c.Now}) // DeliveryWait 0: background
	if err != nil {
		t.Fatal(err)
	}
	events := createTask(t, db.st, "cut off")
	n.Deliver(ctx, events)
	for hits.Load() == 0 {
		time.Sleep(5 * time.Millisecond) // until the attempt reached the receiver
	}
	stopCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := n.Stop(stopCtx); err == nil {
		t.Fatal("Stop reported a clean finish while an attempt was still running")
	}
	if d := onlyDelivery(t, db.st, ep.ID); d.Status != store.DeliveryPending || d.AttemptCount != 0 {
		t.Fatalf("after a cut-off attempt: %+v", d)
	}

	next := newTestNotifier(t, db.st, c, 10*time.Second)
	c.Advance(36 * time.Second) // past the lease: 30 s + 5 s timeout
	if k, err := next.RunOnce(ctx); err != nil || k != 1 {
		t.Fatalf("next start attempted %d (%v)", k, err)
	}
	if d := onlyDelivery(t, db.st, ep.ID); d.Status != store.DeliveryDelivered || d.Attempts[0].Trigger != store.TriggerRetry {
		t.Fatalf("after the next start: %+v", d)
	}
}

// TestDeliveryWaitCapsTheWait: with -delivery-wait shorter than the
// endpoint's timeout, Deliver returns while the attempt is still running
// (nothing recorded yet, the delivery counted pending: it neither waited
// for the answer nor for the timeout); the attempt finishes in the
// background and is recorded the same way as a synchronous one.
func TestDeliveryWaitCapsTheWait(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: srv.URL, Timeout: 10 * time.Second})
	n := newTestNotifier(t, db.st, c, 20*time.Millisecond)

	n.Deliver(ctx, createTask(t, db.st, "capped"))
	<-arrived
	list, err := db.st.Deliveries(ctx, ep.ID, 10, false)
	pending := endpointPending(t, db.st, ep.ID)
	close(release)
	if err != nil || len(list) != 0 || pending != 1 {
		t.Fatalf("Deliver returned after the attempt ended: %d deliveries recorded (err %v), %d pending; want none recorded, 1 pending",
			len(list), err, pending)
	}
	stopCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := n.Stop(stopCtx); err != nil { // waits for the background attempt
		t.Fatal(err)
	}
	d := onlyDelivery(t, db.st, ep.ID)
	if d.Status != store.DeliveryDelivered || len(d.Attempts) != 1 || d.Attempts[0].Trigger != store.TriggerSync || d.Attempts[0].ResponseStatus != http.StatusNoContent {
		t.Fatalf("background attempt: %+v %+v", d, d.Attempts)
	}
}

// TestUnansweredEndpointCostsOneTimeoutPerRequest: a request whose four
// events go to an endpoint that never answers waits for one timeout, not
// four; the three events not attempted stay pending, unattempted, and the
// worker sends them once their lease has passed.
func TestUnansweredEndpointCostsOneTimeoutPerRequest(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	var answering atomic.Bool
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		hits.Add(1)
		if !answering.Load() {
			<-r.Context().Done() // never answers: the client gives up
		}
	}))
	t.Cleanup(srv.Close)
	ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: srv.URL, Timeout: 200 * time.Millisecond})
	n := newTestNotifier(t, db.st, c, 10*time.Second)

	var events []string
	for _, title := range []string{"a", "b", "c", "d"} {
		events = append(events, createTask(t, db.st, title)...)
	}
	n.Deliver(ctx, events)
	if got := hits.Load(); got != 1 {
		t.Fatalf("the silent endpoint was attempted %d times in one request, want 1", got)
	}
	list, err := db.st.Deliveries(ctx, ep.ID, 10, false)
	if err != nil || len(list) != 4 {
		t.Fatalf("deliveries %v %v", list, err)
	}
	attempted := 0
	for _, d := range list {
		if d.Status != store.DeliveryPending {
			t.Errorf("delivery %d is %s, want pending", d.ID, d.Status)
		}
		attempted += d.AttemptCount
	}
	if attempted != 1 {
		t.Errorf("%d attempts recorded, want 1", attempted)
	}

	answering.Store(true)
	c.Advance(31 * time.Second) // past the lease of the three left (30 s + 200 ms) and the first one's 5 s
	if k, err := n.RunOnce(ctx); err != nil || k != 4 {
		t.Fatalf("worker attempted %d (%v), want 4", k, err)
	}
	list, _ = db.st.Deliveries(ctx, ep.ID, 10, false)
	for _, d := range list {
		if d.Status != store.DeliveryDelivered {
			t.Errorf("delivery %d is %s after the worker", d.ID, d.Status)
		}
	}
}

// TestDeliveryWaitCapsTheWaitForASlot: a request whose webhook must wait
// for a free slot (Concurrency 1, busy with other requests' webhooks) still
// returns within the delivery wait; its attempt goes on in the background.
func TestDeliveryWaitCapsTheWaitForASlot(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(700 * time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	addEndpoint(t, db.st, store.NewEndpoint{URL: srv.URL, Timeout: time.Second})
	allow, _ := ParseAllowlist("loopback")
	n, err := New(Options{Store: db.st, Allow: allow, Now: c.Now, Concurrency: 1, DeliveryWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		n.Stop(stopCtx)
	}()
	var events [][]string
	for i := range 4 {
		events = append(events, createTask(t, db.st, fmt.Sprint("task ", i)))
	}
	took := make(chan time.Duration, len(events))
	for _, evs := range events {
		go func() {
			start := time.Now()
			n.Deliver(ctx, evs)
			took <- time.Since(start)
		}()
	}
	for range events {
		// Four webhooks of 700 ms through one slot take 2.8 s; each
		// request may wait 1 s of it.
		if d := <-took; d > 1900*time.Millisecond {
			t.Errorf("a request waited %v for its webhook, over the delivery wait of 1s", d.Round(time.Millisecond))
		}
	}
}
