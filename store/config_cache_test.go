package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// twoProcesses opens the same database file twice: server is the one whose
// cache is under test, other stands for the CLI run from another process.
func twoProcesses(t *testing.T) (server, other *Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "board.db")
	var err error
	if server, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	if other, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return server, other
}

// change runs one SQL statement in its own transaction of s.
func change(t *testing.T, s *Store, query string, args ...any) {
	t.Helper()
	err := s.inTx(context.Background(), func(tx *sql.Tx) error {
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
	var data struct {
		Task TaskSnapshot `json:"task"`
	}
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		t.Fatal(err)
	}
	return data.Task, evs
}

func taskCount(t *testing.T, s *Store, project int64) int {
	t.Helper()
	tasks, err := s.Tasks(context.Background(), project, TaskAny)
	if err != nil {
		t.Fatal(err)
	}
	return len(tasks)
}

// What the server caches (an integration by token, a task's placement and
// names, the enabled endpoints) follows changes committed by another
// process at once: the next change made with it sees them.
func TestConfigCacheFollowsOtherProcesses(t *testing.T) {
	ctx := context.Background()
	server, other := twoProcesses(t)
	board := newBoard(t, server, "Ops")
	in, sec, err := server.CreateIntegration(ctx, NewIntegration{Name: "ci", Kind: KindIncoming, DefaultProjectID: board.project})
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(wantCached bool) Integration {
		t.Helper()
		got, err := server.CachedIntegrationByToken(ctx, sec.Token)
		if err != nil || got.ID != in.ID || got.Cached() != wantCached {
			t.Fatalf("cached lookup: integration %d, cached %v, err %v; want %d, cached %v", got.ID, got.Cached(), err, in.ID, wantCached)
		}
		return got
	}
	nt := NewTask{ProjectID: board.project, Title: "first"}
	snap, _ := createdSnapshot(t, server, lookup(false).Actor(), nt)
	if *snap.ColumnTitle != board.cols[0].Title {
		t.Fatalf("first task's column title %q, want %q", *snap.ColumnTitle, board.cols[0].Title)
	}

	// A rename elsewhere: the cached credentials are confirmed again (any
	// configuration change moves the version), the names are read anew.
	change(t, other, `UPDATE columns SET title = 'Inbox' WHERE id = ?`, board.cols[0].ID)
	if _, _, err := server.CreateTask(ctx, lookup(true).Actor(), nt); !errors.Is(err, ErrStaleCredentials) {
		t.Fatalf("cached credentials after a change elsewhere: %v, want ErrStaleCredentials", err)
	}
	fresh, err := server.IntegrationByToken(ctx, sec.Token)
	if err != nil {
		t.Fatal(err)
	}
	nt.Title = "after the rename"
	if snap, _ = createdSnapshot(t, server, fresh.Actor(), nt); *snap.ColumnTitle != "Inbox" {
		t.Fatalf("column title after a rename by another process: %q, want Inbox", *snap.ColumnTitle)
	}

	// Disabled elsewhere: a change made with the cached credentials fails
	// and writes nothing.
	nt.Title = "made while cached"
	createdSnapshot(t, server, lookup(false).Actor(), nt)
	cached := lookup(true)
	if err := other.SetIntegrationEnabled(ctx, in.ID, false); err != nil {
		t.Fatal(err)
	}
	before := taskCount(t, server, board.project)
	if _, _, err := server.CreateTask(ctx, cached.Actor(), NewTask{ProjectID: board.project, Title: "refused"}); !errors.Is(err, ErrStaleCredentials) {
		t.Fatalf("task with credentials disabled elsewhere: %v, want ErrStaleCredentials", err)
	}
	if after := taskCount(t, server, board.project); after != before {
		t.Fatalf("a refused change wrote %d tasks", after-before)
	}
	if again := lookup(false); again.Enabled {
		t.Fatal("lookup after the refusal still says enabled")
	}

	// An endpoint added elsewhere gets the next event.
	if err := other.SetIntegrationEnabled(ctx, in.ID, true); err != nil {
		t.Fatal(err)
	}
	ep, _, err := other.CreateEndpoint(ctx, NewEndpoint{Name: "r", URL: "http://127.0.0.1:1/hook", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	nt.Title = "fanned out"
	_, evs := createdSnapshot(t, server, Actor{}, nt)
	jobs, err := server.PendingDeliveries(ctx, evs)
	if err != nil || len(jobs) != 1 || jobs[0].Endpoint.ID != ep.ID {
		t.Fatalf("event after an endpoint was added elsewhere: %d jobs, err %v; want one to endpoint %d", len(jobs), err, ep.ID)
	}
	// ...and a disabled one no more.
	if err := other.SetEndpointEnabled(ctx, ep.ID, false); err != nil {
		t.Fatal(err)
	}
	nt.Title = "not fanned out"
	_, evs = createdSnapshot(t, server, Actor{}, nt)
	if jobs, err := server.PendingDeliveries(ctx, evs); err != nil || len(jobs) != 0 {
		t.Fatalf("event after the endpoint was disabled elsewhere: %d jobs, err %v; want none", len(jobs), err)
	}

	// A column deleted elsewhere is refused, though it was cached.
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
// rolled back, must not leave what it read in the cache: the version it
// read it at is reused by the next committed change.
func TestConfigCacheForgetsRolledBackReads(t *testing.T) {
	ctx := context.Background()
	server, other := twoProcesses(t)
	board := newBoard(t, server, "Original")
	nt := NewTask{ProjectID: board.project, Title: "warm"}
	createdSnapshot(t, server, Actor{}, nt)

	undo := errors.New("undo")
	err := server.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE projects SET name = 'Never' WHERE id = ?`, board.project); err != nil {
			return err
		}
		if _, _, err := server.createTaskTx(ctx, tx, Actor{}, NewTask{ProjectID: board.project, Title: "undone"}); err != nil {
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

// In one batch, a call that changes the configuration makes the calls after
// it read the version again: a task made with credentials cached before an
// integration was disabled earlier in the same transaction is refused.
func TestConfigVersionIsReadAgainAfterAChangeInTheBatch(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	board := newBoard(t, s, "batch")
	in, sec, err := s.CreateIntegration(ctx, NewIntegration{Name: "ci", Kind: KindIncoming})
	if err != nil {
		t.Fatal(err)
	}
	cached, err := s.CachedIntegrationByToken(ctx, sec.Token)
	if err != nil {
		t.Fatal(err)
	}
	task := func(actor Actor, title string) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			_, _, err := s.createTaskTx(ctx, tx, actor, NewTask{ProjectID: board.project, Title: title})
			return err
		}
	}
	// The tasks as CreateTask queues them (doAppend), the change as inTx does.
	req := func(fn func(tx *sql.Tx) error, appendOnly bool) *writeReq {
		return &writeReq{ctx: ctx, fn: fn, done: make(chan writeResult, 1), appendOnly: appendOnly}
	}
	batch := []*writeReq{
		req(task(cached.Actor(), "before"), true),
		req(func(tx *sql.Tx) error {
			_, err := tx.Exec(`UPDATE integrations SET enabled = 0 WHERE id = ?`, in.ID)
			return err
		}, false),
		req(task(cached.Actor(), "after"), true),
	}
	// Run as the writer goroutine would, one transaction for the three.
	results, ok := s.writes.together(batch)
	if !ok {
		t.Fatal("the batch broke")
	}
	if results[0].err != nil || results[1].err != nil {
		t.Fatalf("first two calls: %v, %v", results[0].err, results[1].err)
	}
	if !errors.Is(results[2].err, ErrStaleCredentials) {
		t.Fatalf("task after the integration was disabled in the same batch: %v, want ErrStaleCredentials", results[2].err)
	}
}
