package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// The first start creates the admin, a project and an integration; a later
// start (same file, reopened) creates nothing and keeps the admin's password.
func TestBootstrapOnlyOnEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	path := testDB(t)
	s, err := openTest(t, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, created, err := s.Bootstrap(ctx)
	if err != nil || !created || first.AdminPassword == "" || first.IncomingToken == "" {
		t.Fatalf("first start: %+v, created %v, err %v", first, created, err)
	}
	s.Close()

	s, err = openTest(t, path, Options{})
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
	path := testDB(t)
	s, err := openTest(t, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	known, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	setVersion := fmt.Sprintf("PRAGMA user_version = %d", known+1)
	if s.Postgres() {
		setVersion = fmt.Sprintf("UPDATE schema_version SET version = %d", known+1)
	}
	if _, err := s.writer.ExecContext(ctx, setVersion); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = openTest(t, path, Options{})
	if err == nil {
		s.Close()
		t.Fatal("opened a database with a newer schema")
	}
	if want := fmt.Sprintf("schema version %d, newer than this Hookboard knows (%d)", known+1, known); !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q, want it to say %q", err, want)
	}
	readVersion := "PRAGMA user_version"
	if IsPostgres(path) {
		readVersion = "SELECT version FROM schema_version"
	}
	var v int
	if err := rawDB(t, path).QueryRowContext(ctx, readVersion).Scan(&v); err != nil || v != known+1 {
		t.Fatalf("schema version after the refused open: %d (%v), want %d", v, err, known+1)
	}
}
