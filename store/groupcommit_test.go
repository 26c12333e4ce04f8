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
		err := st.inTx(context.Background(), func(tx *sql.Tx) error {
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
			errs[i] = st.inTx(context.Background(), func(tx *sql.Tx) error {
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
			errs[i] = st.inTx(context.Background(), func(tx *sql.Tx) error {
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
		st.inTx(context.Background(), func(tx *sql.Tx) error {
			tx.Exec(`INSERT INTO projects (name, created_at, modified_at) VALUES ('boom', 0, 0)`)
			panic("bug in a store function")
		})
	}()
	go func() {
		defer wg.Done()
		otherErr = st.inTx(context.Background(), func(tx *sql.Tx) error {
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
		done <- st.inTx(ctx, func(tx *sql.Tx) error {
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
	err = st.inTx(context.Background(), func(tx *sql.Tx) error { return nil })
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}
