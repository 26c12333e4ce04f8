package notify

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"hookboard/store"
)

// A receiver that refuses connections does not write a log line per
// attempt: the log says when the endpoint starts failing (with the error),
// sums up its failed attempts once a minute, and says when it answers
// again.
func TestFailingEndpointLogsStateChangesNotAttempts(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every attempt is refused
	ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: "http://" + addr + "/hook"})
	var logs bytes.Buffer
	allow, _ := ParseAllowlist("loopback")
	n, err := New(Options{Store: db.st, Allow: allow, Now: c.Now, DeliveryWait: 10 * time.Second, Jitter: func() float64 { return 0.5 },
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop(ctx)
	lines := func() []string {
		var out []string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, fmt.Sprintf("endpoint=%d", ep.ID)) {
				out = append(out, l)
			}
		}
		return out
	}

	const tasks = 30
	for i := range tasks {
		n.Deliver(ctx, createTask(t, db.st, fmt.Sprint("task ", i)))
	}
	c.Advance(Schedule[0] + time.Second)
	if k, err := n.RunOnce(ctx); err != nil || k != tasks {
		t.Fatalf("first retries: %d attempted, %v", k, err)
	}
	got := lines()
	if len(got) != 1 || !strings.Contains(got[0], "webhook endpoint failing") || !strings.Contains(got[0], "connection refused") {
		t.Fatalf("after %d refused retries the log has %d lines for the endpoint, want the one that says it fails and why:\n%s",
			tasks, len(got), strings.Join(got, "\n"))
	}

	c.Advance(Schedule[1])
	if k, err := n.RunOnce(ctx); err != nil || k != tasks {
		t.Fatalf("second retries: %d attempted, %v", k, err)
	}
	ds, err := db.st.Deliveries(ctx, ep.ID, 2*tasks, false)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, d := range ds {
		failed += d.AttemptCount
	}
	got = lines()
	if len(got) != 2 || !strings.Contains(got[1], "webhook endpoint still failing") || !strings.Contains(got[1], "connection refused") {
		t.Fatalf("a minute later the log has %d lines, want one summary:\n%s", len(got), strings.Join(got, "\n"))
	}

	// The endpoint answers again: it now points at a receiver that takes
	// its webhooks (the same endpoint, so the same log state).
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer rc.Close()
	if _, err := db.st.UpdateEndpoint(ctx, ep.ID, store.NewEndpoint{URL: rc.URL + "/hook"}); err != nil {
		t.Fatal(err)
	}
	n.Deliver(ctx, createTask(t, db.st, "back"))
	got = lines()
	if len(got) != 3 || !strings.Contains(got[2], "webhook endpoint answers again") {
		t.Fatalf("after a success the log has %d lines, want a last one saying it answers again:\n%s", len(got), strings.Join(got, "\n"))
	}
	// Every failed attempt is counted once: the first line, then the
	// summary's and the recovery line's counts.
	counted := 1
	for _, l := range got[1:] {
		_, after, _ := strings.Cut(l, "failed_attempts=")
		k, _ := strconv.Atoi(strings.Fields(after)[0])
		counted += k
	}
	if counted != failed {
		t.Errorf("the log counts %d failed attempts, the delivery log holds %d", counted, failed)
	}
	n.Deliver(ctx, createTask(t, db.st, "still fine"))
	if len(lines()) != 3 {
		t.Fatalf("a success on a healthy endpoint was logged:\n%s", strings.Join(lines(), "\n"))
	}
}
