package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"hookboard/store"
)

// BenchmarkRender measures building one body per format.
func BenchmarkRender(b *testing.B) {
	c := newClock()
	db := openDB(b, c)
	ev := sampleEvents(b, db.st)[store.EventTaskMoveColumn]
	for _, format := range store.Formats {
		b.Run(format, func(b *testing.B) {
			for b.Loop() {
				if _, err := Render(format, ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDeliverFanOut measures one change delivered synchronously to 16
// endpoints on a local receiver: load, 16 concurrent signed requests, and
// the one transaction recording them.
func BenchmarkDeliverFanOut(b *testing.B) {
	c := newClock()
	db := openDB(b, c)
	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		received.Add(1)
	}))
	defer srv.Close()
	for range 16 {
		addEndpoint(b, db.st, store.NewEndpoint{URL: srv.URL})
	}
	// The store's clock and the notifier's must agree, or every attempt
	// looks past its lease and is left to the worker.
	n := newTestNotifier(b, db.st, c, 10*time.Second)
	ctx := context.Background()
	calls := 0
	for b.Loop() {
		_, events, err := db.st.CreateTask(ctx, store.Actor{}, store.NewTask{Title: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		n.Deliver(ctx, events)
		calls++
	}
	if got := received.Load(); got != int64(16*calls) {
		b.Fatalf("the receiver got %d webhooks for %d changes to 16 endpoints", got, calls)
	}
}
