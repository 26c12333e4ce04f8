package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// twoProcesses opens the same database file twice: server stands for the
// running server, other for the CLI run from another process.
func twoProcesses(t *testing.T) (server, other *Store) {
	t.Helper()
	path := testDB(t)
	var err error
	if server, err = openTest(t, path, Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	if other, err = openTest(t, path, Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return server, other
}

// change runs one SQL statement in its own transaction of s.
func change(t *testing.T, s *Store, query string, args ...any) {
	t.Helper()
	err := s.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.Exec(query, args...)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// createdSnapshot makes a task with actor and returns the task of its
// task.create event.
func createdSnapshot(t *testing.T, s *Store, actor Actor, nt NewTask) (TaskSnapshot, []string) {
	t.Helper()
	ctx := context.Background()
	_, evs, err := s.CreateTask(ctx, actor, nt)
	if err != nil {
		t.Fatalf("create %q: %v", nt.Title, err)
	}
	ev, err := s.EventByID(ctx, evs[0])
	if err != nil {
		t.Fatal(err)
	}
	var data struct{ Task TaskSnapshot }
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		t.Fatal(err)
	}
	return data.Task, evs
}

// PendingDeliveries hands out the deliveries an event owes to the endpoints
// enabled when it was written, whichever Store on the file wrote it, the
// endpoints, or both; and the running server's next change follows what
// another process (the CLI) changed, at once.
func TestChangesOfAnotherProcessAreSeenAtOnce(t *testing.T) {
	ctx := context.Background()
	server, other := twoProcesses(t)
	board := newBoard(t, server, "Ops")
	nt := NewTask{ProjectID: board.project, Title: "no endpoint yet"}
	_, evs := createdSnapshot(t, server, Actor{}, nt)
	jobs, err := server.PendingDeliveries(ctx, evs)
	if err != nil || len(jobs) != 0 {
		t.Fatalf("no endpoint: got %d jobs, err %v; want none", len(jobs), err)
	}

	// Endpoints added elsewhere get the next event, filters applied.
	ep, _, err := other.CreateEndpoint(ctx, NewEndpoint{Name: "r", URL: "http://127.0.0.1:1/hook", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ep2, _, err := other.CreateEndpoint(ctx, NewEndpoint{Name: "filtered", URL: "http://127.0.0.1:2/h", Events: []string{EventTaskCreate},
		Projects: []int64{board.project}, Format: FormatEnvelope, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.CreateEndpoint(ctx, NewEndpoint{Name: "elsewhere", URL: "http://127.0.0.1:3/h",
		Projects: []int64{newBoard(t, other, "Elsewhere").project}, Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	for _, maker := range []struct {
		name string
		s    *Store
	}{{"made here", server}, {"made there", other}} {
		nt.Title = maker.name
		_, evs = createdSnapshot(t, maker.s, Actor{}, nt)
		for _, asker := range []*Store{server, other} {
			jobs, err = asker.PendingDeliveries(ctx, evs)
			if err != nil || len(jobs) != 2 || jobs[0].Endpoint.ID != ep.ID || jobs[1].Endpoint.ID != ep2.ID ||
				jobs[0].Event.ID != evs[0] || jobs[1].Endpoint.Format != FormatEnvelope || jobs[1].Secrets.Secret == "" {
				t.Fatalf("%s: got %+v, err %v; want jobs to endpoints %d and %d", maker.name, jobs, err, ep.ID, ep2.ID)
			}
		}
	}

	// ...and a disabled one no more.
	if err := other.SetEndpointEnabled(ctx, ep.ID, false); err != nil {
		t.Fatal(err)
	}
	nt.Title = "after the endpoint was disabled"
	_, evs = createdSnapshot(t, server, Actor{}, nt)
	if jobs, err := server.PendingDeliveries(ctx, evs); err != nil || len(jobs) != 1 || jobs[0].Endpoint.ID != ep2.ID {
		t.Fatalf("event after an endpoint was disabled elsewhere: %d jobs, err %v; want one to %d", len(jobs), err, ep2.ID)
	}

	// A rename elsewhere shows in the next event.
	change(t, other, `UPDATE columns SET title = 'Inbox' WHERE id = ?`, board.cols[0].ID)
	nt.Title = "after the rename"
	if snap, _ := createdSnapshot(t, server, Actor{}, nt); *snap.ColumnTitle != "Inbox" {
		t.Fatalf("column title after a rename by another process: %q, want Inbox", *snap.ColumnTitle)
	}

	// An integration disabled elsewhere reads as disabled.
	in, sec, err := server.CreateIntegration(ctx, NewIntegration{Name: "ci", Kind: KindIncoming, DefaultProjectID: board.project})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := server.IntegrationByToken(ctx, sec.Token); err != nil || !got.Enabled {
		t.Fatalf("integration before: %+v, %v", got, err)
	}
	if err := other.SetIntegrationEnabled(ctx, in.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, err := server.IntegrationByToken(ctx, sec.Token); err != nil || got.Enabled {
		t.Fatalf("integration disabled elsewhere: enabled %v, err %v; want disabled", got.Enabled, err)
	}

	// A column deleted elsewhere is refused.
	nt = NewTask{ProjectID: board.project, ColumnID: board.cols[3].ID, Title: "in the last column"}
	createdSnapshot(t, server, Actor{}, nt)
	change(t, other, `DELETE FROM tasks WHERE column_id = ?`, board.cols[3].ID)
	change(t, other, `DELETE FROM columns WHERE id = ?`, board.cols[3].ID)
	var inv *InvalidError
	if _, _, err := server.CreateTask(ctx, Actor{}, nt); !errors.As(err, &inv) {
		t.Fatalf("task in a column deleted elsewhere: %v, want an InvalidError", err)
	}
}

// A transaction that read the configuration after changing it, then was
// rolled back, must not leave what it read in the configuration cache: the
// version it read it at is reused by the next committed change.
func TestConfigCacheForgetsRolledBackReads(t *testing.T) {
	ctx := context.Background()
	server, other := twoProcesses(t)
	board := newBoard(t, server, "Original")
	nt := NewTask{ProjectID: board.project, Title: "warm"}
	createdSnapshot(t, server, Actor{}, nt)

	undo := errors.New("undo")
	err := server.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE projects SET name = 'Never' WHERE id = ?`, board.project); err != nil {
			return err
		}
		if _, _, err := server.createTaskTx(ctx, tx, 0, Actor{}, NewTask{ProjectID: board.project, Title: "undone"}); err != nil {
			return err
		}
		return undo
	})
	if !errors.Is(err, undo) {
		t.Fatalf("rolled back call: %v", err)
	}
	// Another process's change takes the version number the undone one had.
	change(t, other, `UPDATE columns SET description = 'moved on' WHERE id = ?`, board.cols[0].ID)

	nt.Title = "after the rollback"
	snap, _ := createdSnapshot(t, server, Actor{}, nt)
	if *snap.ProjectName != "Original" {
		t.Fatalf("project name after a rolled back rename: %q, want Original", *snap.ProjectName)
	}
}
