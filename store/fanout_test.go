package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// The memo that lets a request skip loading its deliveries must only skip
// events this Store emitted without any delivery: an event written by
// another process (here another Store on the same file) after an endpoint
// was added there is still looked up and found.
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
	task.Title = "made here"
	_, evs, err = a.CreateTask(ctx, Actor{}, task)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err = a.PendingDeliveries(ctx, evs)
	if err != nil || len(jobs) != 1 || jobs[0].Endpoint.ID != ep.ID || jobs[0].Event.ID != evs[0] {
		t.Fatalf("endpoint added by another process: got %+v, err %v; want one job to endpoint %d", jobs, err, ep.ID)
	}

	// An event the other Store made is unknown here, so it is looked up.
	task.Title = "made there"
	_, evs, err = b.CreateTask(ctx, Actor{}, task)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err = a.PendingDeliveries(ctx, evs)
	if err != nil || len(jobs) != 1 || jobs[0].Event.ID != evs[0] {
		t.Fatalf("event of another Store: got %d jobs, err %v; want 1", len(jobs), err)
	}
	// Asking again (the memo forgot it) still finds it.
	jobs, err = b.PendingDeliveries(ctx, evs)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("second ask: got %d jobs, err %v; want 1", len(jobs), err)
	}
}
