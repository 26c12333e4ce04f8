package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestGroups(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ann, _ := s.CreateUser(ctx, "ann", "password-1", false)
	bob, _ := s.CreateUser(ctx, "bob", "password-2", false)

	dev, err := s.CreateGroup(ctx, "Developers", "cn=dev")
	if err != nil {
		t.Fatal(err)
	}
	ops, err := s.CreateGroup(ctx, "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"duplicate": second(s.CreateGroup(ctx, "Developers", "")),
		"blank":     second(s.CreateGroup(ctx, "  ", "")),
		"long":      second(s.CreateGroup(ctx, strings.Repeat("g", MaxGroupName+1), "")),
		"control":   second(s.CreateGroup(ctx, "a\x01b", "")),
		"long ext":  second(s.CreateGroup(ctx, "x", strings.Repeat("e", MaxGroupExternalID+1))),
	} {
		want := ErrInvalid
		if name == "duplicate" {
			want = ErrConflict
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
	newName := "Devs"
	if err := s.UpdateGroup(ctx, dev, &newName, nil); err != nil {
		t.Fatal(err)
	}
	taken := "ops"
	if err := s.UpdateGroup(ctx, dev, &taken, nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("rename to a taken name: %v", err)
	}
	if err := s.UpdateGroup(ctx, 999, &newName, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown group: %v", err)
	}
	if err := s.UpdateGroup(ctx, dev, nil, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("nothing to update: %v", err)
	}
	if g, _ := s.GroupByID(ctx, dev); g.Name != "Devs" || g.ExternalID != "cn=dev" {
		t.Fatalf("group = %+v", g)
	}

	if err := s.AddGroupMember(ctx, dev, ann.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.AddGroupMember(ctx, dev, ann.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("second add: %v", err)
	}
	if err := s.AddGroupMember(ctx, 999, ann.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown group: %v", err)
	}
	if err := s.AddGroupMember(ctx, dev, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	_ = s.AddGroupMember(ctx, dev, bob.ID)
	_ = s.AddGroupMember(ctx, ops, bob.ID)
	groups, _ := s.Groups(ctx)
	if len(groups) != 2 || groups[0].Name != "Devs" || groups[0].NbUsers != 2 || groups[1].NbUsers != 1 {
		t.Fatalf("groups = %+v", groups)
	}
	if in, _ := s.IsGroupMember(ctx, ops, ann.ID); in {
		t.Fatal("ann is not in ops")
	}
	if mine, _ := s.UserGroups(ctx, bob.ID); len(mine) != 2 {
		t.Fatalf("bob's groups = %+v", mine)
	}
	if err := s.RemoveGroupMember(ctx, ops, ann.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("remove a non-member: %v", err)
	}
	if err := s.RemoveGroupMember(ctx, ops, bob.ID); err != nil {
		t.Fatal(err)
	}
	if members, _ := s.GroupMembers(ctx, dev); len(members) != 2 || members[0].Username != "ann" {
		t.Fatalf("members = %+v", members)
	}
	if err := s.RemoveGroup(ctx, ops); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GroupByID(ctx, ops); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed group: %v", err)
	}
	if err := s.RemoveGroup(ctx, ops); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

// A user's role is their own, else the highest of their groups'; the lists
// of members, assignable users and a user's projects follow it.
func TestGroupProjectRoles(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ann, _ := s.CreateUser(ctx, "ann", "password-1", false)
	bob, _ := s.CreateUser(ctx, "bob", "password-2", false)
	cat, _ := s.CreateUser(ctx, "cat", "password-3", false)
	p, _ := s.CreateProject(ctx, "Alpha", "", 0)
	viewers, _ := s.CreateGroup(ctx, "viewers", "")
	managers, _ := s.CreateGroup(ctx, "managers", "")
	for _, m := range [][2]int64{{viewers, ann.ID}, {viewers, bob.ID}, {managers, bob.ID}, {managers, cat.ID}} {
		if err := s.AddGroupMember(ctx, m[0], m[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddProjectGroup(ctx, p, viewers, ProjectViewer); err != nil {
		t.Fatal(err)
	}
	if err := s.AddProjectGroup(ctx, p, managers, ProjectManager); err != nil {
		t.Fatal(err)
	}
	if err := s.AddProjectGroup(ctx, p, managers, ProjectMember); !errors.Is(err, ErrConflict) {
		t.Fatalf("second add: %v", err)
	}
	if err := s.AddProjectGroup(ctx, p, 999, ProjectMember); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown group: %v", err)
	}
	if err := s.AddProjectGroup(ctx, 999, viewers, ProjectMember); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown project: %v", err)
	}
	if err := s.AddProjectGroup(ctx, p, viewers, "owner"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown role: %v", err)
	}
	// cat's own viewer role wins over the managers group.
	if err := s.AddProjectMember(ctx, p, cat.ID, ProjectViewer); err != nil {
		t.Fatal(err)
	}
	roles := func() string {
		var out []string
		for _, u := range []User{ann, bob, cat} {
			r, err := s.ProjectRole(ctx, p, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, u.Username+"="+r)
		}
		return strings.Join(out, " ")
	}
	if got, want := roles(), "ann=project-viewer bob=project-manager cat=project-viewer"; got != want {
		t.Fatalf("roles = %q, want %q", got, want)
	}
	users, _ := s.ProjectUsers(ctx, p)
	if len(users) != 3 || users[1].Username != "bob" || users[1].ProjectRole != ProjectManager {
		t.Fatalf("project users = %+v", users)
	}
	if direct, _ := s.ProjectMembers(ctx, p); len(direct) != 1 || direct[0].Username != "cat" {
		t.Fatalf("direct members = %+v", direct)
	}
	if as, _ := s.AssignableUsers(ctx, p); len(as) != 1 || as[0].Username != "bob" {
		t.Fatalf("assignable = %+v", as)
	}
	if mine, _ := s.UserProjects(ctx, ann.ID, false); len(mine) != 1 || mine[0].ID != p {
		t.Fatalf("ann's projects = %+v", mine)
	}
	if managed, _ := s.ManagedProjects(ctx, bob.ID); !managed[p] {
		t.Fatal("bob manages through his group")
	}
	if pgs, _ := s.ProjectGroups(ctx, p); len(pgs) != 2 || pgs[0].Name != "managers" || pgs[0].ProjectRole != ProjectManager {
		t.Fatalf("project groups = %+v", pgs)
	}

	if err := s.SetProjectGroupRole(ctx, p, managers, ProjectMember); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProjectGroupRole(ctx, p, 999, ProjectMember); !errors.Is(err, ErrNotFound) {
		t.Fatalf("change an absent group: %v", err)
	}
	if err := s.RemoveProjectGroup(ctx, p, viewers); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveProjectGroup(ctx, p, viewers); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}
	if got, want := roles(), "ann= bob=project-member cat=project-viewer"; got != want {
		t.Fatalf("roles = %q, want %q", got, want)
	}
	// Removing a group takes its roles away.
	if err := s.RemoveGroup(ctx, managers); err != nil {
		t.Fatal(err)
	}
	if got, want := roles(), "ann= bob= cat=project-viewer"; got != want {
		t.Fatalf("roles = %q, want %q", got, want)
	}
}
