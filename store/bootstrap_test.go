package store

import (
	"context"
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
