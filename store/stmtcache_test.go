package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// The same query run again while its rows are still being read must not
// reset the first run's statement (it gets its own, uncached).
func TestStatementCacheSameQueryNested(t *testing.T) {
	skipOnPostgres(t, "the statement cache wraps SQLite's driver (pgx caches statements itself)")
	st := openTestStore(t)
	ctx := context.Background()
	err := st.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for i := range 3 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO projects (name, created_at, modified_at) VALUES (?, 0, 0)`, fmt.Sprint("p", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	const q = `SELECT name FROM projects ORDER BY id`
	outer, err := st.reader.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer outer.Close()
	var seen []string
	for outer.Next() {
		var name string
		if err := outer.Scan(&name); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, name)
		var first string
		if err := st.reader.QueryRowContext(ctx, q).Scan(&first); err != nil || first != "p0" {
			t.Fatalf("nested query: %q, %v", first, err)
		}
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != "[p0 p1 p2]" {
		t.Fatalf("outer iteration saw %v, want [p0 p1 p2]", seen)
	}

	// Within one transaction (one connection) too.
	err = st.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
			var first string
			if err := tx.QueryRowContext(ctx, q).Scan(&first); err != nil || first != "p0" {
				return fmt.Errorf("nested query in tx: %q, %v", first, err)
			}
		}
		if n != 3 {
			return fmt.Errorf("outer saw %d rows, want 3", n)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A script of several statements runs whole (it is not cached, since a
// prepared statement would hold only the first).
func TestStatementCacheScriptRunsEveryStatement(t *testing.T) {
	skipOnPostgres(t, "the statement cache wraps SQLite's driver (pgx caches statements itself)")
	st := openTestStore(t)
	ctx := context.Background()
	for range 2 { // twice: the second run must not come from a cache either
		err := st.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO projects (name, created_at, modified_at) VALUES ('a', 0, 0);
				INSERT INTO projects (name, created_at, modified_at) VALUES ('b', 0, 0);`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := st.reader.QueryRowContext(ctx, `SELECT count(*) FROM projects WHERE name IN ('a', 'b')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("%d rows, want 4", n)
	}
}

// A read whose caller gives up stops: the cached statement runs under the
// caller's context. (Writes run to their end instead, see
// TestStartedCallRunsToItsEndWhenItsCallerGivesUp.)
func TestReaderStatementStopsWhenItsCallerGivesUp(t *testing.T) {
	s := openTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(50*time.Millisecond, cancel)
	const numbers = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) `
	if _, err := s.reader.ExecContext(ctx, numbers+`SELECT count(*) FROM n`); err == nil {
		t.Fatal("reader statement whose context was cancelled while it ran: no error, want it interrupted")
	}
}
