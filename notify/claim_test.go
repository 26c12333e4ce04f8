package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hookboard/store"
)

// TestTwoProcessesNeverClaimTheSameDelivery: two stores on one file (as two
// processes would be) claim due deliveries at the same time; each delivery
// goes to exactly one of them.
func TestTwoProcessesNeverClaimTheSameDelivery(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	addEndpoint(t, db.st, store.NewEndpoint{URL: "https://a.example/h"})
	addEndpoint(t, db.st, store.NewEndpoint{URL: "https://b.example/h"})
	const tasks = 30
	for range tasks {
		createTask(t, db.st, "t")
	}
	other, err := store.Open(db.path, store.Options{Now: c.Now, KeyFile: db.key})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	c.Advance(time.Minute) // past the requests' leases

	claimed := map[int64]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, st := range []*store.Store{db.st, other, db.st, other} {
		wg.Go(func() {
			for {
				jobs, err := st.ClaimDueDeliveries(ctx, 7, 30*time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				if len(jobs) == 0 {
					return
				}
				mu.Lock()
				for _, j := range jobs {
					claimed[j.DeliveryID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != 2*tasks {
		t.Fatalf("claimed %d distinct deliveries, want %d", len(claimed), 2*tasks)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("delivery %d claimed %d times", id, n)
		}
	}
	// Claimed deliveries are leased: nothing is due until the lease passes.
	if jobs, _ := db.st.ClaimDueDeliveries(ctx, 100, 30*time.Second); len(jobs) != 0 {
		t.Errorf("%d deliveries claimable again during their lease", len(jobs))
	}
	c.Advance(32 * time.Second)
	if jobs, _ := db.st.ClaimDueDeliveries(ctx, 100, 30*time.Second); len(jobs) != 2*tasks {
		t.Errorf("%d deliveries claimable after the lease, want %d", len(jobs), 2*tasks)
	}
}

func TestDisabledEndpointIsNotClaimedAndDeleteRemovesLog(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: "https://a.example/h"})
	createTask(t, db.st, "t")
	if err := db.st.SetEndpointEnabled(ctx, ep.ID, false); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	if jobs, _ := db.st.ClaimDueDeliveries(ctx, 10, lease); len(jobs) != 0 {
		t.Fatalf("claimed %d deliveries of a disabled endpoint", len(jobs))
	}
	createTask(t, db.st, "while disabled")
	if list, _ := db.st.Deliveries(ctx, ep.ID, 10, false); len(list) != 1 {
		t.Fatalf("a disabled endpoint got a new delivery: %d", len(list))
	}
	if err := db.st.DeleteEndpoint(ctx, ep.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := db.st.Deliveries(ctx, 0, 10, false); len(list) != 0 {
		t.Errorf("deliveries of a deleted endpoint remain: %d", len(list))
	}
}

// TestPruneRemovesOldAttemptsAndFinishedDeliveries: with the default
// retention (30 days) a delivery finished 31 days ago goes with its
// attempt, one finished 29 days ago stays, and a pending delivery stays
// whatever its age.
func TestPruneRemovesOldAttemptsAndFinishedDeliveries(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	rc := newReceiver(t)
	ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: rc.URL()})
	n := newTestNotifier(t, db.st, c, 10*time.Second)
	rc.status = func(k int) (int, http.Header) {
		if k == 1 {
			return http.StatusServiceUnavailable, nil // pending from day 0 on
		}
		return http.StatusOK, nil
	}
	n.Deliver(ctx, createTask(t, db.st, "pending since day 0"))
	n.Deliver(ctx, createTask(t, db.st, "delivered on day 0"))
	c.Advance(2 * 24 * time.Hour)
	n.Deliver(ctx, createTask(t, db.st, "delivered on day 2"))
	c.Advance(29 * 24 * time.Hour) // day 31

	removed, err := n.Prune(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if removed != 3 { // both day-0 attempts and the day-0 delivered delivery
		t.Errorf("pruned %d rows, want 3", removed)
	}
	list, _ := db.st.Deliveries(ctx, ep.ID, 10, false)
	if len(list) != 2 {
		t.Fatalf("after prune %d deliveries, want 2: %+v", len(list), list)
	}
	var statuses []string
	for _, d := range list {
		statuses = append(statuses, d.Status)
	}
	if statuses[0] != store.DeliveryDelivered || statuses[1] != store.DeliveryPending {
		t.Fatalf("after prune (newest first): %v, want the day-2 delivered one and the pending one", statuses)
	}
	// The pending delivery's own attempt is older than the retention: it
	// goes, the delivery stays to be retried.
	if d, _ := db.st.Delivery(ctx, list[1].ID); d.Status != store.DeliveryPending || d.AttemptCount != 1 {
		t.Errorf("pending delivery after prune: %+v", d)
	}
	if d, _ := db.st.Delivery(ctx, list[0].ID); len(d.Attempts) != 1 {
		t.Errorf("the 29-day-old attempt was pruned: %+v", d.Attempts)
	}
}

func TestEndpointValidationAndUpdate(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	ep, sec := addEndpoint(t, db.st, store.NewEndpoint{URL: "https://hooks.example.com/in", Events: []string{"all"}})
	if ep.Name != "hooks.example.com" || ep.Format != store.FormatKanboard || ep.Timeout != time.Second || ep.Events != nil || !ep.Enabled {
		t.Fatalf("defaults: %+v", ep)
	}
	got, err := db.st.EndpointSecrets(ctx, ep.ID)
	if err != nil || got.Token != sec.Token || got.Secret != sec.Secret {
		t.Fatalf("secrets read back %+v (%v)", got, err)
	}
	up, err := db.st.UpdateEndpoint(ctx, ep.ID, store.NewEndpoint{Name: "CI", URL: "https://ci.example.com/h",
		Events: []string{"task.close", "task.close", "comment.create"}, Projects: []int64{1}, Format: store.FormatTransit, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if up.Name != "CI" || len(up.Events) != 2 || up.Projects[0] != 1 || up.Format != "transit" || up.Timeout != 10*time.Second {
		t.Fatalf("updated: %+v", up)
	}
	_, err = db.st.UpdateEndpoint(ctx, ep.ID, store.NewEndpoint{URL: "https://x.example", Format: "yaml"})
	if err == nil {
		t.Fatal("bad update accepted")
	}
	if again, _ := db.st.Endpoint(ctx, ep.ID); again.Name != "CI" || again.Format != "transit" {
		t.Errorf("a refused update changed the endpoint: %+v", again)
	}
	// The filters decide which events get a delivery.
	createTask(t, db.st, "create is not subscribed")
	if list, _ := db.st.Deliveries(ctx, ep.ID, 10, false); len(list) != 0 {
		t.Errorf("filtered event delivered: %+v", list)
	}
}

// TestInFlightAttemptsAreBounded: with Concurrency 2, a receiver behind
// six endpoints never sees more than two requests at once, and gets all six.
func TestInFlightAttemptsAreBounded(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	var mu sync.Mutex
	inFlight, most, total := 0, 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		total++
		most = max(most, inFlight)
		mu.Unlock()
		time.Sleep(50 * time.Millisecond) // hold the slot so overlaps would show
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	defer srv.Close()
	for range 6 {
		addEndpoint(t, db.st, store.NewEndpoint{URL: srv.URL})
	}
	allow, _ := ParseAllowlist("loopback")
	n, err := New(Options{Store: db.st, Allow: allow, Now: c.Now, Concurrency: 2, DeliveryWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop(ctx)
	n.Deliver(ctx, createTask(t, db.st, "fan out"))
	mu.Lock()
	defer mu.Unlock()
	if total != 6 || most > 2 {
		t.Errorf("receiver got %d requests, at most %d at once; want 6, at most 2", total, most)
	}
}

func TestTestEventGoesToOneEndpointOnly(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	a, b := newReceiver(t), newReceiver(t)
	epA, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: a.URL(), Format: store.FormatEnvelope})
	addEndpoint(t, db.st, store.NewEndpoint{URL: b.URL()})
	n := newTestNotifier(t, db.st, c, time.Second)
	d, err := n.Test(ctx, epA.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.requests()) != 1 || len(b.requests()) != 0 {
		t.Fatalf("test reached %d and %d receivers' requests, want 1 and 0", len(a.requests()), len(b.requests()))
	}
	want := `{"event":"SampleEvent","timestamp":"2026-11-23T10:00:00.000Z","payload":{"typename":"SampleEvent"}}`
	if got := string(a.requests()[0].Body); got != want {
		t.Errorf("test body %s, want %s", got, want)
	}
	if d.EventName != store.EventWebhookTest || d.Attempts[0].Trigger != store.TriggerTest || d.Status != store.DeliveryDelivered {
		t.Errorf("test delivery %+v", d)
	}
	if _, err := n.Test(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("test of an unknown endpoint: %v", err)
	}
}

func TestWorkerLoopDeliversDueRetriesAndDisablesStaleEndpoints(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	rc := newReceiver(t)
	rc.status = func(k int) (int, http.Header) {
		if k == 1 {
			return http.StatusInternalServerError, nil
		}
		return http.StatusOK, nil
	}
	ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: rc.URL()})
	stale, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: "http://127.0.0.1:1/never", Events: []string{store.EventTaskClose}})
	allow, _ := ParseAllowlist("loopback")
	n, err := New(Options{Store: db.st, Allow: allow, Now: c.Now, PollInterval: 10 * time.Millisecond, DeliveryWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop(ctx)
	job, err := db.st.CreateSampleDelivery(ctx, store.Actor{}, stale.ID, store.EventWebhookTest, lease)
	if err != nil {
		t.Fatal(err)
	}
	// The stale endpoint fails once (a test, so nothing is left to retry),
	// then nothing happens for six days.
	rec, _ := n.attempt(ctx, job, store.TriggerTest, true) // connection refused on port 1
	if err := db.st.RecordAttempts(ctx, []store.AttemptRecord{rec}); err != nil {
		t.Fatal(err)
	}
	c.Advance(6 * 24 * time.Hour)

	n.Deliver(ctx, createTask(t, db.st, "retry me"))
	<-rc.notify // the failed first attempt
	c.Advance(6 * time.Second)
	n.Start()
	n.Start()   // a second Start does not start a second worker
	<-rc.notify // the worker's retry
	if err := n.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if d := onlyDelivery(t, db.st, ep.ID); d.Status != store.DeliveryDelivered || d.Attempts[1].Trigger != store.TriggerRetry {
		t.Errorf("after the worker: %+v", d)
	}
	e, _ := db.st.Endpoint(ctx, stale.ID)
	if e.Enabled || !strings.Contains(e.DisabledReason, "5 days") {
		t.Errorf("stale endpoint not disabled by the worker's housekeeping: %+v", e)
	}
}

func TestRotatingTwiceDuringGraceKeepsTheTokenInUse(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	ep, sec := addEndpoint(t, db.st, store.NewEndpoint{URL: "https://x.example/h"})
	t1, _ := db.st.RotateEndpointToken(ctx, ep.ID, time.Hour)
	t2, _ := db.st.RotateEndpointToken(ctx, ep.ID, time.Hour)
	got, err := db.st.EndpointSecrets(ctx, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SendToken(c.Now()) != sec.Token || got.Token != t2 || t1 == t2 {
		t.Errorf("after two rotations: sending %q, current %q; want the original %q still sent", got.SendToken(c.Now()), got.Token, sec.Token)
	}
	if e, _ := db.st.Endpoint(ctx, ep.ID); !e.PrevTokenUntil.Equal(c.Now().Add(time.Hour)) || !e.PrevSecretUntil.IsZero() {
		t.Errorf("rotation shown as token until %s, secret until %s", e.PrevTokenUntil, e.PrevSecretUntil)
	}
	c.Advance(time.Hour)
	if e, _ := db.st.Endpoint(ctx, ep.ID); !e.PrevTokenUntil.IsZero() {
		t.Errorf("a passed grace still shown: %s", e.PrevTokenUntil)
	}
	got, _ = db.st.EndpointSecrets(ctx, ep.ID)
	if got.SendToken(c.Now()) != t2 || got.PrevToken != "" {
		t.Errorf("after the grace: sending %q, want %q", got.SendToken(c.Now()), t2)
	}
	if _, err := db.st.RotateEndpointSecret(ctx, ep.ID, -time.Second); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("negative grace: %v", err)
	}
}

// TestRetryBacklogDoesNotDelayRequestDeliveries: the retry worker's
// attempts to a receiver that never answers hold their connections for
// the whole timeout, yet a request's own webhook to another receiver goes
// out meanwhile instead of waiting for a slot they hold.
func TestRetryBacklogDoesNotDelayRequestDeliveries(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	release := make(chan struct{})
	var hungHits atomic.Int64
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hungHits.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hung.Close()
	addEndpoint(t, db.st, store.NewEndpoint{URL: hung.URL, Timeout: store.MaxEndpointTimeout})
	// Two deliveries to the hung receiver whose lease has passed: the
	// worker's next pass claims both, as many as the concurrency.
	createTask(t, db.st, "backlog 1")
	createTask(t, db.st, "backlog 2")
	c.Advance(2 * time.Minute)

	allow, _ := ParseAllowlist("loopback")
	n, err := New(Options{Store: db.st, Allow: allow, Now: c.Now, Concurrency: 2, DeliveryWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		close(release)
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		n.Stop(sctx)
	}()
	go n.RunOnce(ctx)
	for deadline := time.Now().Add(10 * time.Second); hungHits.Load() < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("the worker made %d attempts to the hung receiver, want 2", hungHits.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}

	fast := newReceiver(t)
	addEndpoint(t, db.st, store.NewEndpoint{URL: fast.URL()})
	go n.Deliver(ctx, createTask(t, db.st, "from a request"))
	select {
	case <-fast.notify:
	case <-time.After(store.MaxEndpointTimeout / 2):
		t.Fatal("the request's webhook waited behind the worker's attempts to a receiver that never answers")
	}
	if got := fast.requests(); len(got) != 1 || !strings.Contains(string(got[0].Body), "from a request") {
		t.Fatalf("fast receiver got %d requests: %+v", len(got), got)
	}
}
