package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestOwnerMustBeAssignable: a task goes only to an active member of its
// project who is not a viewer (Kanboard's rule), when created, reassigned
// or moved to another project with an owner; a refusal writes no task and
// no event. An owner who stops being assignable keeps the task, which can
// still be edited; membership changes take effect at once.
func TestOwnerMustBeAssignable(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	b := newBoard(t, s, "P")
	other := newBoard(t, s, "Other")
	user := func(name, role string, active bool) int64 {
		t.Helper()
		u, err := s.CreateUser(ctx, name, name+" password", false)
		if err != nil {
			t.Fatal(err)
		}
		if role != "" {
			if err := s.AddProjectMember(ctx, b.project, u.ID, role); err != nil {
				t.Fatal(err)
			}
		}
		if !active {
			if err := s.SetUserActive(ctx, u.ID, false); err != nil {
				t.Fatal(err)
			}
		}
		return u.ID
	}
	member := user("member", ProjectMember, true)
	manager := user("manager", ProjectManager, true)
	viewer := user("viewer", ProjectViewer, true)
	inactive := user("inactive", ProjectMember, false)
	outsider := user("outsider", "", true)

	for _, ok := range []int64{0, member, manager} {
		if _, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "ok", OwnerID: ok}); err != nil {
			t.Errorf("owner %d: %v", ok, err)
		}
	}
	tasks, _ := s.TaskCount(ctx)
	events, _ := s.EventCount(ctx, "")
	for name, id := range map[string]int64{"viewer": viewer, "inactive": inactive, "outsider": outsider} {
		_, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "refused", OwnerID: id})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "cannot be assigned tasks in project") {
			t.Errorf("create with the %s as owner: %v", name, err)
		}
	}
	id, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "t", OwnerID: member})
	if err != nil {
		t.Fatal(err)
	}
	tasks++
	events++
	if _, err := s.UpdateTask(ctx, Actor{}, id, TaskUpdate{OwnerID: &viewer}); !errors.Is(err, ErrInvalid) {
		t.Errorf("reassign to the viewer: %v", err)
	}
	if _, err := s.MoveTaskToProject(ctx, Actor{}, id, ProjectMove{ProjectID: other.project, OwnerID: &member}); !errors.Is(err, ErrInvalid) {
		t.Errorf("move to a project the owner is not in: %v", err)
	}
	if n, _ := s.TaskCount(ctx); n != tasks {
		t.Errorf("%d tasks after refusals, want %d", n, tasks)
	}
	if n, _ := s.EventCount(ctx, ""); n != events {
		t.Errorf("%d events after refusals, want %d", n, events)
	}

	// The member becomes a viewer: the task keeps its owner and can still be
	// edited with the owner as it is, but no new task goes to them.
	if err := s.SetProjectMemberRole(ctx, b.project, member, ProjectViewer); err != nil {
		t.Fatal(err)
	}
	title := "renamed"
	if _, err := s.UpdateTask(ctx, Actor{}, id, TaskUpdate{Title: &title, OwnerID: &member}); err != nil {
		t.Errorf("edit a task whose owner became a viewer, owner unchanged: %v", err)
	}
	if _, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "t", OwnerID: member}); !errors.Is(err, ErrInvalid) {
		t.Errorf("create for a member turned viewer: %v", err)
	}
	// Back to member, then removed from the project.
	if err := s.SetProjectMemberRole(ctx, b.project, member, ProjectMember); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "t", OwnerID: member}); err != nil {
		t.Errorf("create for a member again: %v", err)
	}
	if err := s.RemoveProjectMember(ctx, b.project, member); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "t", OwnerID: member}); !errors.Is(err, ErrInvalid) {
		t.Errorf("create for a removed member: %v", err)
	}

	// Moved or copied to a project where the owner is not assignable, a task
	// goes to nobody, as in Kanboard; where they are, it keeps them.
	mine, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "mine", OwnerID: manager})
	if err != nil {
		t.Fatal(err)
	}
	same, _, err := s.DuplicateTask(ctx, Actor{}, mine, ProjectMove{ProjectID: b.project})
	if got, _ := s.TaskByID(ctx, same); err != nil || got.OwnerID != manager {
		t.Errorf("copy in the same project: owner %d (%v), want the manager", got.OwnerID, err)
	}
	copied, _, err := s.DuplicateTask(ctx, Actor{}, mine, ProjectMove{ProjectID: other.project})
	if got, _ := s.TaskByID(ctx, copied); err != nil || got.OwnerID != 0 {
		t.Errorf("copy to a project the owner is not in: owner %d (%v), want nobody", got.OwnerID, err)
	}
	if _, err := s.MoveTaskToProject(ctx, Actor{}, mine, ProjectMove{ProjectID: other.project}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.TaskByID(ctx, mine); got.OwnerID != 0 || got.ProjectID != other.project {
		t.Errorf("moved to a project the owner is not in: owner %d in project %d, want nobody in %d", got.OwnerID, got.ProjectID, other.project)
	}
}

// A member through a group is assignable as a direct member is: the task
// form lists them (AssignableUsers) and a task may go to them; when the
// group's role drops to viewer, neither holds any more, at once.
func TestOwnerAssignableThroughGroup(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	b := newBoard(t, s, "P")
	u, err := s.CreateUser(ctx, "grouped", "grouped password", false)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.CreateGroup(ctx, "team", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddGroupMember(ctx, g, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.AddProjectGroup(ctx, b.project, g, ProjectMember); err != nil {
		t.Fatal(err)
	}
	listed := func() bool {
		t.Helper()
		users, err := s.AssignableUsers(ctx, b.project)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range users {
			if x.ID == u.ID {
				return true
			}
		}
		return false
	}
	if !listed() {
		t.Error("a member through a group is not listed as assignable")
	}
	if _, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "t", OwnerID: u.ID}); err != nil {
		t.Errorf("create for a member through a group: %v", err)
	}
	if err := s.SetProjectGroupRole(ctx, b.project, g, ProjectViewer); err != nil {
		t.Fatal(err)
	}
	if listed() {
		t.Error("a viewer through a group is listed as assignable")
	}
	if _, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "t", OwnerID: u.ID}); !errors.Is(err, ErrInvalid) {
		t.Errorf("create for a viewer through a group: %v", err)
	}
	if err := s.SetProjectGroupRole(ctx, b.project, g, ProjectMember); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "t", OwnerID: u.ID}); err != nil {
		t.Errorf("create for a member through a group again: %v", err)
	}
	if err := s.RemoveGroupMember(ctx, g, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "t", OwnerID: u.ID}); !errors.Is(err, ErrInvalid) {
		t.Errorf("create for a user who left the group: %v", err)
	}
	if err := s.AddGroupMember(ctx, g, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "t", OwnerID: u.ID}); err != nil {
		t.Errorf("create for a user back in the group: %v", err)
	}
	if err := s.RemoveGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "t", OwnerID: u.ID}); !errors.Is(err, ErrInvalid) {
		t.Errorf("create for a user whose group was removed: %v", err)
	}
}
