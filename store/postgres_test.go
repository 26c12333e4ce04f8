package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hookboard/internal/testdb"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT ? + ?", "SELECT $1 + $2"},
		{"INSERT INTO t VALUES (?1, ?2, ?1)", "INSERT INTO t VALUES ($1, $2, $1)"},
		{"SELECT '?', \"a?\", ? -- why?\n, ?", "SELECT '?', \"a?\", $1 -- why?\n, $2"},
		{"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"},
		{"SELECT 'open ?", "SELECT 'open ?"},
		{"SELECT ? -- end?", "SELECT $1 -- end?"},
		{"SELECT a - ? FROM t", "SELECT a - $1 FROM t"},
	} {
		if got := rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://hb:s3cret@db:5432/hb?sslmode=require": "postgres://hb:xxxxx@db:5432/hb?sslmode=require",
		"postgresql://db/hb":                              "postgresql://db/hb",
		"./hookboard.db":                                  "./hookboard.db",
	} {
		if got := RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

// On PostgreSQL every write transaction takes the write lock first: while
// another process holds it, a write waits, and past the busy timeout fails
// with ErrUnavailable (a 503 for the caller) and changes nothing, as on
// SQLite when another process holds the file's write lock.
func TestPostgresWritesWaitForTheWriteLock(t *testing.T) {
	if !testdb.Postgres() {
		t.Skip("needs PostgreSQL: set " + testdb.EnvPostgres)
	}
	ctx := context.Background()
	db := testDB(t)
	s, err := openTest(t, db, Options{BusyTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other := rawDB(t, db)
	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, writeLockKey); err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateProject(ctx, "Blocked", "", 0)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("a write while another process holds the lock: %v, want ErrUnavailable", err)
	}
	// Held until the other transaction ends: then writes go through.
	done := make(chan error, 1)
	go func() {
		_, err := s.CreateProject(ctx, "After", "", 0)
		done <- err
	}()
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil && !errors.Is(err, ErrUnavailable) {
		t.Fatal(err)
	}
	projects, err := s.Projects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range projects {
		if p.Name == "Blocked" {
			t.Fatal("the refused write left its project")
		}
	}
}

// PostgreSQL's "cannot take the write now" conditions are ErrUnavailable
// (a 503 for the caller); a broken rule of the data is not.
func TestClassifyPostgresErrors(t *testing.T) {
	for code, want := range map[string]bool{
		"53100": true,  // disk full
		"25006": true,  // read-only transaction (a standby)
		"57P01": true,  // admin shutdown
		"08006": true,  // connection failure
		"55P03": true,  // lock_timeout on the write lock
		"23505": false, // unique violation
		"23503": false, // foreign key violation
	} {
		err := classify(fmt.Errorf("store: x: %w", &pgconn.PgError{Code: code}))
		if got := errors.Is(err, ErrUnavailable); got != want {
			t.Errorf("SQLSTATE %s: unavailable = %v, want %v", code, got, want)
		}
	}
	// A server that is not there: connection refused.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := pgx.Connect(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=5")
	if err == nil || !errors.Is(classify(err), ErrUnavailable) {
		t.Errorf("connecting to a closed port: %v, want ErrUnavailable", err)
	}
}
