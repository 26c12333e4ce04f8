package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hookboard/store"
)

// TestDeliveriesFiltersPagesAndBulkRedeliver: the CLI filters the log and
// pages it, and queues every undelivered delivery of an endpoint for the
// running server, which sends each again with its webhook-id.
func TestDeliveriesFiltersPagesAndBulkRedeliver(t *testing.T) {
	db := testDB(t)
	var status atomic.Int64
	status.Store(http.StatusInternalServerError)
	var mu sync.Mutex
	got := map[string]int{} // webhook-id -> requests
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Header.Get("Webhook-Id")]++
		mu.Unlock()
		w.WriteHeader(int(status.Load()))
	}))
	defer rc.Close()
	s := startServer(t, db, "-allow-webhook-nets", "loopback")
	code, out, errOut := runCLI(t, "", "integration", "add", "ci", "-db", db, "-json")
	var in struct{ Token string }
	if code != 0 || json.Unmarshal([]byte(out), &in) != nil {
		t.Fatalf("integration add: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "", "webhook", "add", "-db", db, "-allow-webhook-nets", "loopback", "-url", rc.URL, "-events", "task.create"); code != 0 {
		t.Fatalf("webhook add: %s", errOut)
	}
	for _, title := range []string{"one", "two", "three"} {
		if st, body := createTask(t, s.url, in.Token, title); st != 200 {
			t.Fatalf("create %s: %d %s", title, st, body)
		}
	}
	list := func(args ...string) ([]map[string]any, string) {
		t.Helper()
		code, out, errOut := runCLI(t, "", append([]string{"deliveries", "-db", db, "-json"}, args...)...)
		var l []map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &l) != nil {
			t.Fatalf("deliveries %v: %d %q %q", args, code, out, errOut)
		}
		return l, errOut
	}
	// A request answers once its webhooks were sent; their outcomes are
	// recorded just after, so the log catches up within moments.
	filtered := func() []map[string]any {
		l, _ := list("-endpoint", "1", "-event", "task.create", "-status", "retrying", "-http", "5xx", "-since", "1h")
		return l
	}
	for deadline := time.Now().Add(10 * time.Second); len(filtered()) != 3 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if l := filtered(); len(l) != 3 {
		all, _ := list()
		t.Fatalf("filtered: %v\nall: %v", l, all)
	}
	if l, _ := list("-status", "delivered"); len(l) != 0 {
		t.Fatalf("delivered before the fix: %v", l)
	}
	if l, _ := list("-until", "1h"); len(l) != 0 {
		t.Fatalf("older than an hour: %v", l)
	}
	webhookID := ""
	first, more := list("-limit", "2")
	if len(first) != 2 || !strings.Contains(more, "older: -before 2") {
		t.Fatalf("first page %v, stderr %q", first, more)
	}
	webhookID = first[0]["event_id"].(string)
	if rest, _ := list("-limit", "2", "-before", "2"); len(rest) != 1 || rest[0]["id"] != float64(1) {
		t.Fatalf("older page %v", rest)
	}
	if l, _ := list("-webhook-id", webhookID); len(l) != 1 || l[0]["id"] != float64(3) {
		t.Fatalf("by webhook-id: %v", l)
	}
	for _, bad := range [][]string{{"-status", "lost"}, {"-http", "6xx"}, {"-since", "yesterday"}, {"-before", "2", "-after", "1"}} {
		if code, _, errOut := runCLI(t, "", append([]string{"deliveries", "-db", db}, bad...)...); code != 2 || errOut == "" {
			t.Errorf("deliveries %v: %d %q", bad, code, errOut)
		}
	}

	// The receiver is fixed: everything undelivered is sent again.
	status.Store(http.StatusOK)
	code, out, errOut = runCLI(t, "", "redeliver", "-db", db, "-endpoint", "1", "-since", "1h")
	if code != 0 || !strings.Contains(out, "3 redeliveries queued") {
		t.Fatalf("bulk redeliver: %d %q %q", code, out, errOut)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if l, _ := list("-status", "delivered"); len(l) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the queued redeliveries were not all delivered")
		}
		time.Sleep(100 * time.Millisecond)
	}
	st, err := openTestStore(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for id := int64(1); id <= 3; id++ {
		d, err := st.Delivery(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		redelivered := false
		for _, a := range d.Attempts {
			redelivered = redelivered || a.Trigger == store.TriggerRedeliver && a.ResponseStatus == 200
		}
		mu.Lock()
		n := got[d.EventID]
		mu.Unlock()
		if !redelivered || n < 2 {
			t.Errorf("delivery %d: attempts %+v, receiver got its webhook-id %d times", id, d.Attempts, n)
		}
	}
	code, out, _ = runCLI(t, "", "redeliver", "-db", db, "-endpoint", "1", "-json")
	if code != 0 || strings.TrimSpace(out) != `{"queued":0}` && !strings.Contains(out, `"queued": 0`) {
		t.Fatalf("nothing left: %d %q", code, out)
	}
	if code, _, errOut := runCLI(t, "", "redeliver", "-db", db, "5", "-endpoint", "1"); code != 2 {
		t.Errorf("ids and -endpoint together: %d %q", code, errOut)
	}
}
