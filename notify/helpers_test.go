package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"hookboard/internal/testdb"
	"hookboard/store"
)

// clock is a settable clock shared by the store and the notifier, so retry
// timing is tested without waiting.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testDB is a real database with the first-run data (project 1 with its
// columns, admin, one incoming integration): a SQLite file, or a PostgreSQL
// schema when HOOKBOARD_TEST_POSTGRES is set (see internal/testdb).
type testDB struct {
	path  string
	key   string // the key file: beside a SQLite file, in the test's folder for PostgreSQL
	st    *store.Store
	first store.FirstRun
}

func openDB(t testing.TB, c *clock) *testDB {
	t.Helper()
	path := testdb.New(t)
	key := testdb.KeyFile(path)
	st, err := store.Open(path, store.Options{Now: c.Now, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	first, _, err := st.Bootstrap(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &testDB{path: path, key: key, st: st, first: first}
}

// newTestNotifier builds a notifier that may reach loopback (the test
// receivers), with fixed jitter (0.5: exactly the schedule's step).
func newTestNotifier(t testing.TB, st *store.Store, c *clock, wait time.Duration) *Notifier {
	t.Helper()
	allow, err := ParseAllowlist("loopback")
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(Options{Store: st, Allow: allow, Now: c.Now, Jitter: func() float64 { return 0.5 },
		DeliveryWait: wait, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n.Stop(ctx)
	})
	return n
}

// received is one request a test receiver got.
type received struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// receiver is a real HTTP server that records what it gets and answers
// with the status its handler chooses (200 by default).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	status func(n int) (int, http.Header) // n: 1-based request number
	notify chan struct{}
}

func newReceiver(t testing.TB) *receiver {
	t.Helper()
	rc := &receiver{notify: make(chan struct{}, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.got = append(rc.got, received{r.Method, r.URL.String(), r.Header.Clone(), body})
	n := len(rc.got)
	status := rc.status
	rc.mu.Unlock()
	rc.notify <- struct{}{}
	code := http.StatusOK
	if status != nil {
		var h http.Header
		code, h = status(n)
		for k, v := range h {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(code)
	io.WriteString(w, "thanks")
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func (rc *receiver) URL() string { return rc.srv.URL + "/hook" }

// addEndpoint creates an endpoint through the store, failing the test on error.
func addEndpoint(t testing.TB, st *store.Store, ne store.NewEndpoint) (store.Endpoint, store.EndpointSecrets) {
	t.Helper()
	ep, sec, err := st.CreateEndpoint(context.Background(), ne)
	if err != nil {
		t.Fatal(err)
	}
	return ep, sec
}

// createTask makes a task through the real store and returns its event ids.
func createTask(t testing.TB, st *store.Store, title string) []string {
	t.Helper()
	_, events, err := st.CreateTask(context.Background(), store.Actor{UserID: 1, Username: "admin"}, store.NewTask{Title: title})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// onlyDelivery returns the single delivery of an endpoint with its attempts.
func onlyDelivery(t testing.TB, st *store.Store, endpointID int64) store.Delivery {
	t.Helper()
	list, err := st.Deliveries(context.Background(), endpointID, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("endpoint %d has %d deliveries, want 1", endpointID, len(list))
	}
	d, err := st.Delivery(context.Background(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// endpointPending is the pending count the settings list shows for an
// endpoint (in-flight deliveries included).
func endpointPending(t testing.TB, st *store.Store, endpointID int64) int {
	t.Helper()
	e, err := st.Endpoint(context.Background(), endpointID)
	if err != nil {
		t.Fatal(err)
	}
	return e.PendingCount
}
