package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// The first start creates the admin, a project and an integration; a later
// start (same file, reopened) creates nothing and keeps the admin's password.
func TestBootstrapOnlyOnEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/hb.db"
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, created, err := s.Bootstrap(ctx)
	if err != nil || !created || first.AdminPassword == "" || first.IncomingToken == "" {
		t.Fatalf("first start: %+v, created %v, err %v", first, created, err)
	}
	s.Close()

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	again, created, err := s.Bootstrap(ctx)
	if err != nil || created || again != (FirstRun{}) {
		t.Fatalf("second start: %+v, created %v, err %v; want nothing created", again, created, err)
	}
	users, err := s.Users(ctx)
	if err != nil || len(users) != 1 {
		t.Fatalf("users after two starts: %d, %v", len(users), err)
	}
	if _, err := s.CheckPassword(ctx, "admin", first.AdminPassword); err != nil {
		t.Fatalf("the first start's admin password no longer works: %v", err)
	}
	ins, err := s.Integrations(ctx)
	if err != nil || len(ins) != 1 {
		t.Fatalf("integrations after two starts: %d, %v", len(ins), err)
	}
}

// A database a newer Hookboard migrated is refused, with both versions
// named, and left as it was: this binary could misread what its tables
// mean.
func TestOpenRefusesANewerSchema(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/hb.db"
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	known, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", known+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(path, Options{})
	if err == nil {
		s.Close()
		t.Fatal("opened a database with a newer schema")
	}
	if want := fmt.Sprintf("schema version %d, newer than this Hookboard knows (%d)", known+1, known); !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q, want it to say %q", err, want)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != known+1 {
		t.Fatalf("schema version after the refused open: %d (%v), want %d", v, err, known+1)
	}
}
