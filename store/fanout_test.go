package store

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// The memo that lets a request skip loading its deliveries must hand out
// exactly what the query would load, and only for events this Store
// emitted: an event written by another process (here another Store on the
// same file) is looked up and found.
func TestPendingDeliveriesMemo(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "board.db")
	a, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	board := newBoard(t, a, "memo")
	task := NewTask{ProjectID: board.project, Title: "no endpoint yet"}

	_, evs, err := a.CreateTask(ctx, Actor{}, task)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := a.PendingDeliveries(ctx, evs)
	if err != nil || len(jobs) != 0 {
		t.Fatalf("no endpoint: got %d jobs, err %v; want none", len(jobs), err)
	}

	// Another process adds an endpoint; both Stores must now fan out.
	ep, _, err := b.CreateEndpoint(ctx, NewEndpoint{Name: "r", URL: "http://127.0.0.1:1/hook", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ep2, _, err := b.CreateEndpoint(ctx, NewEndpoint{Name: "filtered", URL: "http://127.0.0.1:2/h", Events: []string{EventTaskCreate},
		Projects: []int64{board.project}, Format: FormatEnvelope, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	task.Title = "made here"
	_, evs, err = a.CreateTask(ctx, Actor{}, task)
	if err != nil {
		t.Fatal(err)
	}
	// Asked of the memo itself: PendingDeliveries would answer the same
	// from the database if the memo were never used.
	jobs, known, err := a.pendingFromMemo(evs)
	if !known {
		t.Fatal("the memo does not know the event its Store just emitted")
	}
	if err != nil || len(jobs) != 2 || jobs[0].Endpoint.ID != ep.ID || jobs[1].Endpoint.ID != ep2.ID || jobs[0].Event.ID != evs[0] {
		t.Fatalf("endpoints added by another process: got %+v, err %v; want jobs to endpoints %d and %d", jobs, err, ep.ID, ep2.ID)
	}
	// What the memo hands out is what the query loads (the memo forgot
	// the event when asked, so this one is looked up).
	fromDB, err := a.PendingDeliveries(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(jobs, fromDB) {
		t.Fatalf("job from memory\n%+v\njob from the database\n%+v", jobs, fromDB)
	}

	// An event the other Store made is unknown here, so it is looked up.
	task.Title = "made there"
	_, evs, err = b.CreateTask(ctx, Actor{}, task)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err = a.PendingDeliveries(ctx, evs)
	if err != nil || len(jobs) != 2 || jobs[0].Event.ID != evs[0] {
		t.Fatalf("event of another Store: got %d jobs, err %v; want 2", len(jobs), err)
	}
	// The Store that made it answers from its memo, then forgets it:
	// asking again is looked up and still finds them.
	for _, ask := range []string{"maker's first ask", "maker's second ask"} {
		jobs, err = b.PendingDeliveries(ctx, evs)
		if err != nil || len(jobs) != 2 || jobs[0].Event.ID != evs[0] {
			t.Fatalf("%s: got %d jobs, err %v; want 2", ask, len(jobs), err)
		}
	}
	if _, known := b.fanout.take(evs); known {
		t.Fatal("the memo still holds an event its maker asked for")
	}
}
