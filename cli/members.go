package cli

import (
	"context"
	"fmt"

	"hookboard/store"
)

// membersUsage is the members part of projectUsage.
const membersUsage = "members PROJECT_ID | add-member PROJECT_ID USER [-role project-member|project-manager|project-viewer] | " +
	"remove-member PROJECT_ID USER | role PROJECT_ID USER ROLE"

// projectMembers runs `hookboard project SUB`, SUB one of members,
// add-member, remove-member and role: a project's members and their roles.
// role is the -role flag (add-member).
func projectMembers(ctx context.Context, env *Env, st *store.Store, sub string, pos []string, asJSON bool, role string) error {
	want := map[string]int{"members": 1, "add-member": 2, "remove-member": 2, "role": 3}[sub]
	projectID, err := sharedProject(ctx, st, pos, want, membersUsage)
	if err != nil {
		return err
	}
	if sub == "members" {
		members, err := st.ProjectMembers(ctx, projectID)
		if err != nil {
			return err
		}
		return printList(env, asJSON, listText{"ID\tUSERNAME\tROLE", "no members"}, members,
			func(m store.Member) map[string]any {
				return map[string]any{"id": m.ID, "username": m.Username, "name": m.Name, "role": m.ProjectRole, "active": m.IsActive}
			},
			func(m store.Member) string { return fmt.Sprintf("%d\t%s\t%s", m.ID, m.Username, m.ProjectRole) })
	}
	u, err := st.UserByName(ctx, pos[1])
	if err != nil {
		return fmt.Errorf("user %q: %w", pos[1], err)
	}
	switch sub {
	case "add-member":
		err = st.AddProjectMember(ctx, projectID, u.ID, role)
	case "remove-member":
		err = st.RemoveProjectMember(ctx, projectID, u.ID)
	case "role":
		err = st.SetProjectMemberRole(ctx, projectID, u.ID, pos[2])
	}
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(env.Stdout, map[string]any{"project_id": projectID, "user_id": u.ID, "username": u.Username, "done": sub})
	}
	fmt.Fprintf(env.Stdout, "project %d, user %s: %s done\n", projectID, u.Username, sub)
	return nil
}

// sharedProject checks the arguments of a members or groups subcommand
// (want of them, PROJECT_ID first) and that the project exists.
func sharedProject(ctx context.Context, st *store.Store, pos []string, want int, usage string) (int64, error) {
	if len(pos) != want {
		return 0, usagef("usage: hookboard project %s", usage)
	}
	projectID, err := parseID("project", pos[0])
	if err != nil {
		return 0, err
	}
	if _, err := st.ProjectByID(ctx, projectID); err != nil {
		return 0, fmt.Errorf("project %d: %w", projectID, err)
	}
	return projectID, nil
}
