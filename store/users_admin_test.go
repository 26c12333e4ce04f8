package store

import (
	"context"
	"errors"
	"testing"
)

func TestSetUserRoleKeepsAnAdmin(t *testing.T) {
	s, err := openTest(t, testDB(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	ann, _ := s.CreateUser(ctx, "ann", "password-1", true)
	bob, _ := s.CreateUser(ctx, "bob", "password-2", false)

	if err := s.SetUserRole(ctx, ann.ID, RoleUser, true); !errors.Is(err, ErrInvalid) {
		t.Fatalf("demoting the last admin: %v", err)
	}
	if err := s.SetUserRole(ctx, ann.ID, RoleAdmin, false); !errors.Is(err, ErrInvalid) {
		t.Fatalf("deactivating the last admin: %v", err)
	}
	if u, _ := s.UserByID(ctx, ann.ID); !u.IsAdmin || !u.IsActive {
		t.Fatal("a refused change was written")
	}
	if err := s.SetUserRole(ctx, bob.ID, RoleAdmin, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserRole(ctx, ann.ID, RoleManager, false); err != nil {
		t.Fatalf("demoting one of two admins: %v", err)
	}
	if u, _ := s.UserByID(ctx, ann.ID); u.IsAdmin || u.IsActive {
		t.Fatal("not changed")
	}
	if _, err := s.CheckPassword(ctx, "ann", "password-1"); !errors.Is(err, ErrUnauthorized) {
		t.Fatal("an inactive user can log in")
	}
	if err := s.SetUserRole(ctx, 999, RoleUser, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}
