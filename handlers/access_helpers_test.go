package handlers

import (
	"context"
	"testing"

	"hookboard/store"
)

// joinAll makes u a member of every project there is: a manager when an
// admin, else a project-member. Tests whose users act on projects need it
// since project roles are enforced.
func joinAll(t testing.TB, st *store.Store, u store.User) store.User {
	t.Helper()
	ctx := context.Background()
	projects, err := st.Projects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	role := store.ProjectMember
	if u.IsAdmin {
		role = store.ProjectManager
	}
	for _, p := range projects {
		if err := st.AddProjectMember(ctx, p.ID, u.ID, role); err != nil {
			t.Fatal(err)
		}
	}
	return u
}
