package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer srv.Close()
	for range 16 {
		addEndpoint(b, db.st, store.NewEndpoint{URL: srv.URL})
	}
	allow, _ := ParseAllowlist("loopback")
	n, err := New(Options{Store: db.st, Allow: allow, DeliveryWait: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Stop(context.Background())
	ctx := context.Background()
	for b.Loop() {
		_, events, err := db.st.CreateTask(ctx, store.Actor{}, store.NewTask{Title: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		n.Deliver(ctx, events)
	}
}
