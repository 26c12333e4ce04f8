package cli

import (
	"context"
	"fmt"

	"hookboard/store"
)

const groupUsage = "group list | create NAME [-external-id X] | rename GROUP NAME | rm GROUP | members GROUP | " +
	"add-member GROUP USER | remove-member GROUP USER"

// projectGroupsUsage is the groups part of projectUsage.
const projectGroupsUsage = "groups PROJECT_ID | add-group PROJECT_ID GROUP [-role project-member|project-manager|project-viewer] | " +
	"remove-group PROJECT_ID GROUP | group-role PROJECT_ID GROUP ROLE"

// runGroup is "hookboard group": groups and their members. A group is
// named by its name, a user by their username.
func runGroup(ctx context.Context, env *Env, args []string) error {
	sub, args, err := subcommand("group", groupUsage,
		[]string{"list", "create", "rename", "rm", "members", "add-member", "remove-member"}, args)
	if err != nil {
		return err
	}
	fs := newFlagSet(env, "group "+sub, groupUsage)
	db := fs.dbFlag()
	asJSON := fs.jsonFlag()
	externalID := fs.FlagSet.String("external-id", "", "the id a directory knows the group by, kept for Kanboard clients (group create)")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	want := map[string]int{"list": 0, "create": 1, "rename": 2, "rm": 1, "members": 1, "add-member": 2, "remove-member": 2}[sub]
	if len(pos) != want {
		return usagef("usage: hookboard %s", groupUsage)
	}
	st, err := openStore(env, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "list":
		groups, err := st.Groups(ctx)
		if err != nil {
			return err
		}
		return printList(env, *asJSON, listText{"ID\tNAME\tEXTERNAL ID\tUSERS", "no groups"}, groups,
			func(g store.Group) map[string]any {
				return map[string]any{"id": g.ID, "name": g.Name, "external_id": g.ExternalID, "users": g.NbUsers}
			},
			func(g store.Group) string {
				return fmt.Sprintf("%d\t%s\t%s\t%d", g.ID, g.Name, g.ExternalID, g.NbUsers)
			})
	case "create":
		id, err := st.CreateGroup(ctx, pos[0], *externalID)
		if err != nil {
			return err
		}
		return groupDone(env, *asJSON, id, pos[0], sub)
	}
	g, err := st.GroupByName(ctx, pos[0])
	if err != nil {
		return err
	}
	switch sub {
	case "members":
		users, err := st.GroupMembers(ctx, g.ID)
		if err != nil {
			return err
		}
		return printList(env, *asJSON, listText{"ID\tUSERNAME\tNAME", "no members"}, users,
			func(u store.User) map[string]any {
				return map[string]any{"id": u.ID, "username": u.Username, "name": u.Name}
			},
			func(u store.User) string { return fmt.Sprintf("%d\t%s\t%s", u.ID, u.Username, u.Name) })
	case "rename":
		err = st.UpdateGroup(ctx, g.ID, &pos[1], nil)
	case "rm":
		err = st.RemoveGroup(ctx, g.ID)
	case "add-member", "remove-member":
		var u store.User
		if u, err = st.UserByName(ctx, pos[1]); err != nil {
			return fmt.Errorf("user %q: %w", pos[1], err)
		}
		if sub == "add-member" {
			err = st.AddGroupMember(ctx, g.ID, u.ID)
		} else {
			err = st.RemoveGroupMember(ctx, g.ID, u.ID)
		}
	}
	if err != nil {
		return err
	}
	return groupDone(env, *asJSON, g.ID, g.Name, sub)
}

func groupDone(env *Env, asJSON bool, id int64, name, sub string) error {
	if asJSON {
		return printJSON(env.Stdout, map[string]any{"id": id, "done": sub})
	}
	fmt.Fprintf(env.Stdout, "group %d (%s): %s done\n", id, name, sub)
	return nil
}

// projectGroups runs `hookboard project SUB`, SUB one of groups,
// add-group, remove-group and group-role: the groups a project is shared
// with. role is the -role flag (add-group).
func projectGroups(ctx context.Context, env *Env, st *store.Store, sub string, pos []string, asJSON bool, role string) error {
	want := map[string]int{"groups": 1, "add-group": 2, "remove-group": 2, "group-role": 3}[sub]
	projectID, err := sharedProject(ctx, st, pos, want, projectGroupsUsage)
	if err != nil {
		return err
	}
	if sub == "groups" {
		groups, err := st.ProjectGroups(ctx, projectID)
		if err != nil {
			return err
		}
		return printList(env, asJSON, listText{"ID\tNAME\tROLE", "no groups"}, groups,
			func(g store.ProjectGroup) map[string]any {
				return map[string]any{"id": g.ID, "name": g.Name, "role": g.ProjectRole}
			},
			func(g store.ProjectGroup) string { return fmt.Sprintf("%d\t%s\t%s", g.ID, g.Name, g.ProjectRole) })
	}
	g, err := st.GroupByName(ctx, pos[1])
	if err != nil {
		return err
	}
	switch sub {
	case "add-group":
		err = st.AddProjectGroup(ctx, projectID, g.ID, role)
	case "remove-group":
		err = st.RemoveProjectGroup(ctx, projectID, g.ID)
	case "group-role":
		err = st.SetProjectGroupRole(ctx, projectID, g.ID, pos[2])
	}
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(env.Stdout, map[string]any{"project_id": projectID, "group_id": g.ID, "group": g.Name, "done": sub})
	}
	fmt.Fprintf(env.Stdout, "project %d, group %s: %s done\n", projectID, g.Name, sub)
	return nil
}
