package store

import (
	"context"
	"errors"
	"testing"
)

func TestProjectMembers(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ann, _ := s.AddUser(ctx, NewUser{Username: "ann", Password: "password-1", Name: "Zoe Ann", Role: RoleManager})
	bob, _ := s.CreateUser(ctx, "bob", "password-2", false)
	cat, _ := s.CreateUser(ctx, "cat", "password-3", false)

	p, _, err := s.AddProject(ctx, Actor{UserID: ann.ID}, NewProject{Name: "Zeta"})
	if err != nil {
		t.Fatal(err)
	}
	if role, _ := s.ProjectRole(ctx, p, ann.ID); role != ProjectManager {
		t.Fatalf("creator's role = %q, want manager", role)
	}
	if pr, _ := s.ProjectByID(ctx, p); pr.OwnerID != ann.ID {
		t.Fatalf("owner = %d", pr.OwnerID)
	}
	// The app token's path: an owner but no member.
	q, _ := s.CreateProject(ctx, "Alpha", "", bob.ID)
	if role, _ := s.ProjectRole(ctx, q, bob.ID); role != "" {
		t.Fatalf("CreateProject made the owner a %q", role)
	}

	if err := s.AddProjectMember(ctx, p, bob.ID, ProjectViewer); err != nil {
		t.Fatal(err)
	}
	if err := s.AddProjectMember(ctx, p, bob.ID, ProjectMember); !errors.Is(err, ErrConflict) {
		t.Fatalf("second add: %v", err)
	}
	if err := s.AddProjectMember(ctx, p, cat.ID, "project-owner"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown role: %v", err)
	}
	if err := s.AddProjectMember(ctx, 999, cat.ID, ProjectMember); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown project: %v", err)
	}
	if err := s.AddProjectMember(ctx, p, 999, ProjectMember); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if err := s.AddProjectMember(ctx, p, cat.ID, ProjectMember); err != nil {
		t.Fatal(err)
	}
	members, _ := s.ProjectMembers(ctx, p)
	var got []string
	for _, m := range members {
		got = append(got, m.DisplayName()+"="+m.ProjectRole)
	}
	if want := "bob=project-viewer cat=project-member Zoe Ann=project-manager"; joinSp(got) != want {
		t.Fatalf("members = %q, want %q", joinSp(got), want)
	}
	assignable, _ := s.AssignableUsers(ctx, p)
	if len(assignable) != 2 || assignable[0].Username != "cat" || assignable[1].Username != "ann" {
		t.Fatalf("assignable = %+v (a viewer is not assignable)", assignable)
	}
	if err := s.SetUserActive(ctx, cat.ID, false); err != nil {
		t.Fatal(err)
	}
	if assignable, _ := s.AssignableUsers(ctx, p); len(assignable) != 1 {
		t.Fatalf("an inactive user is assignable: %+v", assignable)
	}

	if err := s.SetProjectMemberRole(ctx, p, bob.ID, ProjectMember); err != nil {
		t.Fatal(err)
	}
	if role, _ := s.ProjectRole(ctx, p, bob.ID); role != ProjectMember {
		t.Fatalf("role = %q", role)
	}
	if err := s.SetProjectMemberRole(ctx, q, cat.ID, ProjectMember); !errors.Is(err, ErrNotFound) {
		t.Fatalf("changing a non-member: %v", err)
	}
	if err := s.RemoveProjectMember(ctx, p, bob.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveProjectMember(ctx, p, bob.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}
	if ps, _ := s.UserProjects(ctx, ann.ID, true); len(ps) != 1 || ps[0].ID != p {
		t.Fatalf("ann's projects = %+v", ps)
	}

	for _, c := range []struct{ have, need string }{{ProjectManager, ProjectMember}, {ProjectMember, ProjectViewer}, {ProjectViewer, ProjectViewer}} {
		if !RoleAllows(c.have, c.need) {
			t.Errorf("%s does not allow %s", c.have, c.need)
		}
	}
	for _, c := range []struct{ have, need string }{{ProjectViewer, ProjectMember}, {ProjectMember, ProjectManager}, {"", ProjectViewer}} {
		if RoleAllows(c.have, c.need) {
			t.Errorf("%q allows %s", c.have, c.need)
		}
	}
}

func joinSp(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

func TestUserAdministration(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	admin, _ := s.CreateUser(ctx, "root", "password-0", true)
	for _, nu := range []NewUser{
		{Username: "", Password: "password-1"},
		{Username: "x", Password: "short"},
		{Username: "x", Password: "password-1", Email: "not an address"},
		{Username: "x", Password: "password-1", Role: "app-owner"},
		{Username: "a:b", Password: "password-1"},
		{Username: "root", Password: "password-1"},
	} {
		if _, err := s.AddUser(ctx, nu); err == nil {
			t.Errorf("AddUser(%+v) accepted", nu)
		}
	}
	dan, err := s.AddUser(ctx, NewUser{Username: "dan", Password: "password-1", Name: "Dan", Email: "dan@example.com", Role: RoleManager})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByID(ctx, dan.ID); got.Name != "Dan" || got.Email != "dan@example.com" || got.Role != RoleManager || got.IsAdmin {
		t.Fatalf("stored %+v", got)
	}
	name, email, role := "Daniel", "d@example.org", RoleAdmin
	if err := s.UpdateUser(ctx, dan.ID, UserUpdate{Name: &name, Email: &email, Role: &role}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByID(ctx, dan.ID); got.Name != name || got.Email != email || !got.IsAdmin || got.Username != "dan" {
		t.Fatalf("updated %+v", got)
	}
	taken := "root"
	if err := s.UpdateUser(ctx, dan.ID, UserUpdate{Username: &taken}); !errors.Is(err, ErrConflict) {
		t.Fatalf("taken username: %v", err)
	}
	bad := "nope"
	if err := s.UpdateUser(ctx, dan.ID, UserUpdate{Email: &bad}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad email: %v", err)
	}
	if err := s.UpdateUser(ctx, 999, UserUpdate{Name: &name}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}

	// The last active admin is neither demoted, disabled nor removed.
	user := RoleUser
	if err := s.UpdateUser(ctx, dan.ID, UserUpdate{Role: &user}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateUser(ctx, admin.ID, UserUpdate{Role: &user}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("demoting the last admin: %v", err)
	}
	if err := s.SetUserActive(ctx, admin.ID, false); !errors.Is(err, ErrInvalid) {
		t.Fatalf("disabling the last admin: %v", err)
	}
	if err := s.RemoveUser(ctx, admin.ID); !errors.Is(err, ErrInvalid) {
		t.Fatalf("removing the last admin: %v", err)
	}
	if u, err := s.UserByID(ctx, admin.ID); err != nil || !u.IsActive || !u.IsAdmin {
		t.Fatalf("a refused change was written: %+v %v", u, err)
	}

	// Removing a user keeps their tasks and comments, unassigned; their
	// private projects go.
	f := newBoard(t, s, "Team")
	if err := s.AddProjectMember(ctx, f.project, dan.ID, ProjectMember); err != nil {
		t.Fatal(err)
	}
	priv, _, _ := s.AddProject(ctx, Actor{UserID: dan.ID}, NewProject{Name: "Dan's", Private: true})
	owner := dan.ID
	taskID, _, err := s.CreateTask(ctx, Actor{}, NewTask{Title: "t", ProjectID: f.project, OwnerID: owner, CreatorID: owner})
	if err != nil {
		t.Fatal(err)
	}
	commentID, _, err := s.CreateComment(ctx, Actor{}, taskID, dan.ID, "hi")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserActive(ctx, dan.ID, false); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.ProjectByID(ctx, priv); p.IsActive {
		t.Fatal("disabling a user left their private project active")
	}
	if err := s.SetUserActive(ctx, dan.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveUser(ctx, dan.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByID(ctx, dan.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed user still there: %v", err)
	}
	if _, err := s.ProjectByID(ctx, priv); !errors.Is(err, ErrNotFound) {
		t.Fatalf("private project kept: %v", err)
	}
	task, err := s.TaskByID(ctx, taskID)
	if err != nil || task.OwnerID != 0 || task.CreatorID != 0 {
		t.Fatalf("task after removal: %+v %v", task, err)
	}
	if c, err := s.CommentByID(ctx, commentID); err != nil || c.UserID != 0 {
		t.Fatalf("comment after removal: %+v %v", c, err)
	}
	if role, _ := s.ProjectRole(ctx, f.project, dan.ID); role != "" {
		t.Fatalf("membership kept: %q", role)
	}
	if err := s.RemoveUser(ctx, dan.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second removal: %v", err)
	}
}

func TestBootstrapAdminManagesDefault(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	first, ok, err := s.Bootstrap(ctx)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	admin, _ := s.UserByName(ctx, first.AdminUsername)
	if role, _ := s.ProjectRole(ctx, first.DefaultProject, admin.ID); role != ProjectManager {
		t.Fatalf("admin's role in Default = %q", role)
	}
}
