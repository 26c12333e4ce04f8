package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// holdWriter makes the writer goroutine wait inside a transaction until the
// returned release is called, so calls made meanwhile queue up and are
// committed together as one batch.
func holdWriter(t *testing.T, st *Store) (release func()) {
	t.Helper()
	entered := make(chan struct{})
	gate := make(chan struct{})
	go func() {
		err := st.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			close(entered)
			<-gate
			return nil
		})
		if err != nil {
			t.Errorf("holding call: %v", err)
		}
	}()
	<-entered
	return func() { close(gate) }
}

func projectNames(t *testing.T, st *Store) map[string]bool {
	t.Helper()
	names, err := listRows(context.Background(), st.reader, nil, func(row interface{ Scan(...any) error }) (string, error) {
		var n string
		err := row.Scan(&n)
		return n, err
	}, `SELECT name FROM projects`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range names {
		got[n] = true
	}
	return got
}

// waitQueued waits until n calls sit in the writer's queue.
func waitQueued(st *Store, n int) {
	for len(st.writes.queue) < n {
		runtime.Gosched()
	}
}

// A call that has started runs to its end even when its caller gives up
// meanwhile: its statements work inside a batch that holds other callers'
// changes, and a statement stopped halfway would end the whole transaction.
// So the call's query and write complete, and its neighbours commit with it
// in the same transaction.
func TestStartedCallRunsToItsEndWhenItsCallerGivesUp(t *testing.T) {
	st := openTestStore(t)
	release := holdWriter(t, st)

	callerCtx, giveUp := context.WithCancel(context.Background())
	defer giveUp()
	var wg sync.WaitGroup
	var counted int64
	var leftErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		leftErr = st.inTx(callerCtx, func(ctx context.Context, tx *sql.Tx) error {
			giveUp() // the caller leaves once its call has started
			if err := tx.QueryRowContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
				SELECT count(*) FROM n`).Scan(&counted); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO projects (name, created_at, modified_at) VALUES ('left', 0, 0)`)
			return err
		})
	}()
	waitQueued(st, 1)
	const neighbours = 4
	errs := make([]error, neighbours)
	for i := range neighbours {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO projects (name, created_at, modified_at) VALUES (?, 0, 0)`, fmt.Sprint("n", i))
				return err
			})
		}()
	}
	waitQueued(st, 1+neighbours)
	before := st.WriteStats()
	release()
	wg.Wait()

	if leftErr != nil || counted != 300000 {
		t.Fatalf("call whose caller gave up: err = %v, counted %d; want nil and 300000", leftErr, counted)
	}
	names := projectNames(t, st)
	if !names["left"] {
		t.Error("the row of the call whose caller gave up is missing")
	}
	for i := range neighbours {
		if errs[i] != nil || !names[fmt.Sprint("n", i)] {
			t.Errorf("neighbour %d: err = %v, row there = %v; want nil and there", i, errs[i], names[fmt.Sprint("n", i)])
		}
	}
	// The holding call, then the five queued calls together: two commits.
	// A batch ended by a stopped statement is run again call by call.
	if after := st.WriteStats(); after.Commits-before.Commits != 2 {
		t.Errorf("%d commits after the release, want 2 (the held call, then one batch of %d)", after.Commits-before.Commits, 1+neighbours)
	}
}

func TestGroupCommitFailingCallFailsOnlyItself(t *testing.T) {
	st := openTestStore(t)
	release := holdWriter(t, st)

	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO projects (name, created_at, modified_at) VALUES (?, 0, 0)`, fmt.Sprint("p", i)); err != nil {
					return err
				}
				if i%3 == 0 {
					// Fails after writing: its row must vanish, the others' stay.
					return invalid("call %d refuses", i)
				}
				return nil
			})
		}()
	}
	waitQueued(st, n)
	release()
	wg.Wait()

	// All n were queued behind the held writer, so one batch committed
	// them all: the failing calls were undone to their savepoints, not by
	// voiding the batch.
	if got := st.WriteStats().Largest; got < n {
		t.Fatalf("largest batch = %d; the %d calls were not committed together", got, n)
	}
	names := projectNames(t, st)
	for i := range n {
		name := fmt.Sprint("p", i)
		if i%3 == 0 {
			if !errors.Is(errs[i], ErrInvalid) {
				t.Errorf("call %d: err = %v, want its own ErrInvalid", i, errs[i])
			}
			if names[name] {
				t.Errorf("call %d failed but its row %s was committed", i, name)
			}
			continue
		}
		if errs[i] != nil {
			t.Errorf("call %d: err = %v, want nil", i, errs[i])
		}
		if !names[name] {
			t.Errorf("call %d succeeded but its row %s is missing", i, name)
		}
	}
}

func TestGroupCommitBrokenBatchRunsEachCallAlone(t *testing.T) {
	skipOnPostgres(t, "a statement ending the transaction under the batch is how SQLite breaks one (an interrupt); PostgreSQL aborts the transaction instead, which RELEASE and COMMIT report")
	st := openTestStore(t)
	release := holdWriter(t, st)

	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO projects (name, created_at, modified_at) VALUES (?, 0, 0)`, fmt.Sprint("p", i)); err != nil {
					return err
				}
				if i == 2 {
					// Ends the shared transaction under everyone's feet, as an
					// interrupted statement would.
					_, err := tx.Exec(`ROLLBACK`)
					return err
				}
				return nil
			})
		}()
	}
	waitQueued(st, n)
	release()
	wg.Wait()

	names := projectNames(t, st)
	for i := range n {
		name := fmt.Sprint("p", i)
		if i == 2 {
			if errs[i] == nil {
				t.Errorf("the call that ended the transaction got no error")
			}
			if names[name] {
				t.Errorf("row %s of the failed call was committed", name)
			}
			continue
		}
		if errs[i] != nil || !names[name] {
			t.Errorf("call %d: err = %v, row present = %v; want it committed", i, errs[i], names[name])
		}
	}
}

func TestGroupCommitPanicReachesItsCaller(t *testing.T) {
	st := openTestStore(t)
	release := holdWriter(t, st)
	var wg sync.WaitGroup
	var recovered any
	var otherErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer func() { recovered = recover() }()
		st.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			tx.Exec(`INSERT INTO projects (name, created_at, modified_at) VALUES ('boom', 0, 0)`)
			panic("bug in a store function")
		})
	}()
	go func() {
		defer wg.Done()
		otherErr = st.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO projects (name, created_at, modified_at) VALUES ('fine', 0, 0)`)
			return err
		})
	}()
	waitQueued(st, 2)
	release()
	wg.Wait()
	if recovered != "bug in a store function" {
		t.Errorf("recovered %v, want the panic in the caller's goroutine", recovered)
	}
	names := projectNames(t, st)
	if otherErr != nil || !names["fine"] || names["boom"] {
		t.Errorf("other call err=%v, rows=%v; want only 'fine' committed", otherErr, names)
	}
}

func TestGroupCommitCancelledBeforeItsTurnWritesNothing(t *testing.T) {
	st := openTestStore(t)
	release := holdWriter(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- st.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO projects (name, created_at, modified_at) VALUES ('late', 0, 0)`)
			return err
		})
	}()
	waitQueued(st, 1)
	cancel()
	release()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if projectNames(t, st)["late"] {
		t.Fatal("a call cancelled before its turn was committed")
	}
}

func TestWritesAfterCloseFail(t *testing.T) {
	st, err := openTest(t, testDB(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	err = st.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error { return nil })
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}
