package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"hookboard/store"
)

const projectUsage = "project list | create NAME [-description D] [-identifier X] | show ID | rename ID NAME |" +
	" describe ID TEXT | disable ID | enable ID | remove ID |" +
	" column add PROJECT TITLE [-limit N] [-description D] | column rename ID TITLE | column move ID POSITION |" +
	" column limit ID N | column remove ID |" +
	" swimlane add PROJECT NAME | swimlane rename ID NAME | swimlane move ID POSITION | swimlane enable ID |" +
	" swimlane disable ID | swimlane remove ID |" +
	" category add PROJECT NAME [-color C] | category rename ID NAME | category color ID COLOR | category remove ID | " +
	membersUsage + " | " + projectGroupsUsage

// projectPart is one subcommand of "hookboard project": its positional
// arguments and what it does with the store. It answers the id it changed
// or made and what it prints as text.
type projectPart struct {
	args []string // names of the positional arguments
	run  func(ctx context.Context, st *store.Store, o projectOpts, pos []string) (int64, string, error)
}

type projectOpts struct {
	description, identifier, color string
	limit                          int64
}

// A change made on the command line is the system's: its events carry no
// author, and the running server delivers them.
var cliActor = store.Actor{}

var projectParts = map[string]projectPart{
	"create": {[]string{"NAME"}, func(ctx context.Context, st *store.Store, o projectOpts, pos []string) (int64, string, error) {
		id, _, err := st.AddProject(ctx, cliActor, store.NewProject{Name: pos[0], Description: o.description, Identifier: o.identifier})
		return id, fmt.Sprintf("project %d created", id), err
	}},
	"rename": {[]string{"ID", "NAME"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		return projectChange(ctx, st, pos[0], "renamed", func(id int64) ([]string, error) {
			return st.UpdateProject(ctx, cliActor, id, store.ProjectUpdate{Name: &pos[1]})
		})
	}},
	"describe": {[]string{"ID", "TEXT"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		return projectChange(ctx, st, pos[0], "described", func(id int64) ([]string, error) {
			return st.UpdateProject(ctx, cliActor, id, store.ProjectUpdate{Description: &pos[1]})
		})
	}},
	"disable": {[]string{"ID"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		return projectChange(ctx, st, pos[0], "disabled", func(id int64) ([]string, error) {
			return st.SetProjectActive(ctx, cliActor, id, false)
		})
	}},
	"enable": {[]string{"ID"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		return projectChange(ctx, st, pos[0], "enabled", func(id int64) ([]string, error) {
			return st.SetProjectActive(ctx, cliActor, id, true)
		})
	}},
	"remove": {[]string{"ID"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		return projectChange(ctx, st, pos[0], "removed with its tasks", func(id int64) ([]string, error) {
			return st.DeleteProject(ctx, cliActor, id)
		})
	}},

	"column add": {[]string{"PROJECT", "TITLE"}, func(ctx context.Context, st *store.Store, o projectOpts, pos []string) (int64, string, error) {
		pid, err := parseID("project", pos[0])
		if err != nil {
			return 0, "", err
		}
		id, _, err := st.AddColumn(ctx, cliActor, pid, store.ColumnFields{Title: pos[1], TaskLimit: o.limit, Description: o.description})
		return id, fmt.Sprintf("column %d added", id), err
	}},
	"column rename": {[]string{"ID", "TITLE"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		return columnChange(ctx, st, pos[0], "renamed", func(f *store.ColumnFields) { f.Title = pos[1] })
	}},
	"column limit": {[]string{"ID", "N"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		n, err := strconv.ParseInt(pos[1], 10, 64)
		if err != nil {
			return 0, "", usagef("limit %q is not a number (0 for no limit)", pos[1])
		}
		return columnChange(ctx, st, pos[0], "limited", func(f *store.ColumnFields) { f.TaskLimit = n })
	}},
	"column move": {[]string{"ID", "POSITION"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		id, n, err := idAndNumber("column", pos)
		if err != nil {
			return 0, "", err
		}
		c, err := st.ColumnByID(ctx, id)
		if err == nil {
			_, err = st.MoveColumn(ctx, cliActor, c.ProjectID, id, n)
		}
		return id, fmt.Sprintf("column %d moved to position %d", id, n), err
	}},
	"column remove": {[]string{"ID"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		id, err := parseID("column", pos[0])
		if err == nil {
			_, err = st.RemoveColumn(ctx, cliActor, id)
		}
		return id, fmt.Sprintf("column %d removed", id), err
	}},

	"swimlane add": {[]string{"PROJECT", "NAME"}, func(ctx context.Context, st *store.Store, o projectOpts, pos []string) (int64, string, error) {
		pid, err := parseID("project", pos[0])
		if err != nil {
			return 0, "", err
		}
		id, _, err := st.AddSwimlane(ctx, cliActor, pid, pos[1], o.description)
		return id, fmt.Sprintf("swimlane %d added", id), err
	}},
	"swimlane rename": {[]string{"ID", "NAME"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		return swimlaneChange(ctx, st, pos[0], "renamed", func(l store.Swimlane) ([]string, error) {
			return st.UpdateSwimlane(ctx, cliActor, l.ProjectID, l.ID, pos[1], nil)
		})
	}},
	"swimlane move": {[]string{"ID", "POSITION"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		_, n, err := idAndNumber("swimlane", pos)
		if err != nil {
			return 0, "", err
		}
		return swimlaneChange(ctx, st, pos[0], fmt.Sprintf("moved to position %d", n), func(l store.Swimlane) ([]string, error) {
			return st.MoveSwimlane(ctx, cliActor, l.ProjectID, l.ID, n)
		})
	}},
	"swimlane enable": {[]string{"ID"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		return swimlaneChange(ctx, st, pos[0], "enabled", func(l store.Swimlane) ([]string, error) {
			return st.SetSwimlaneActive(ctx, cliActor, l.ProjectID, l.ID, true)
		})
	}},
	"swimlane disable": {[]string{"ID"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		return swimlaneChange(ctx, st, pos[0], "disabled", func(l store.Swimlane) ([]string, error) {
			return st.SetSwimlaneActive(ctx, cliActor, l.ProjectID, l.ID, false)
		})
	}},
	"swimlane remove": {[]string{"ID"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		return swimlaneChange(ctx, st, pos[0], "removed", func(l store.Swimlane) ([]string, error) {
			return st.RemoveSwimlane(ctx, cliActor, l.ProjectID, l.ID)
		})
	}},

	"category add": {[]string{"PROJECT", "NAME"}, func(ctx context.Context, st *store.Store, o projectOpts, pos []string) (int64, string, error) {
		pid, err := parseID("project", pos[0])
		if err != nil {
			return 0, "", err
		}
		id, _, err := st.AddCategory(ctx, cliActor, pid, pos[1], o.color)
		return id, fmt.Sprintf("category %d added", id), err
	}},
	"category rename": {[]string{"ID", "NAME"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		return categoryChange(ctx, st, pos[0], "renamed", func(c *store.Category) { c.Name = pos[1] })
	}},
	"category color": {[]string{"ID", "COLOR"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		return categoryChange(ctx, st, pos[0], "coloured", func(c *store.Category) { c.ColorID = pos[1] })
	}},
	"category remove": {[]string{"ID"}, func(ctx context.Context, st *store.Store, _ projectOpts, pos []string) (int64, string, error) {
		id, err := parseID("category", pos[0])
		if err == nil {
			_, err = st.RemoveCategory(ctx, cliActor, id)
		}
		return id, fmt.Sprintf("category %d removed", id), err
	}},
}

func projectChange(ctx context.Context, st *store.Store, arg, verb string, change func(id int64) ([]string, error)) (int64, string, error) {
	id, err := parseID("project", arg)
	if err == nil {
		_, err = change(id)
	}
	return id, fmt.Sprintf("project %d %s", id, verb), err
}

func columnChange(ctx context.Context, st *store.Store, arg, verb string, edit func(*store.ColumnFields)) (int64, string, error) {
	id, err := parseID("column", arg)
	if err != nil {
		return 0, "", err
	}
	c, err := st.ColumnByID(ctx, id)
	if err != nil {
		return id, "", err
	}
	f := store.ColumnFields{Title: c.Title, TaskLimit: int64(c.TaskLimit), Description: c.Description}
	edit(&f)
	_, err = st.UpdateColumn(ctx, cliActor, id, f)
	return id, fmt.Sprintf("column %d %s", id, verb), err
}

func swimlaneChange(ctx context.Context, st *store.Store, arg, verb string, change func(store.Swimlane) ([]string, error)) (int64, string, error) {
	id, err := parseID("swimlane", arg)
	if err != nil {
		return 0, "", err
	}
	l, err := st.SwimlaneByID(ctx, id)
	if err == nil {
		_, err = change(l)
	}
	return id, fmt.Sprintf("swimlane %d %s", id, verb), err
}

func categoryChange(ctx context.Context, st *store.Store, arg, verb string, edit func(*store.Category)) (int64, string, error) {
	id, err := parseID("category", arg)
	if err != nil {
		return 0, "", err
	}
	c, err := st.CategoryByID(ctx, id)
	if err != nil {
		return id, "", err
	}
	edit(&c)
	_, err = st.UpdateCategory(ctx, cliActor, id, c.Name, c.ColorID)
	return id, fmt.Sprintf("category %d %s", id, verb), err
}

func idAndNumber(what string, pos []string) (int64, int64, error) {
	id, err := parseID(what, pos[0])
	if err != nil {
		return 0, 0, err
	}
	n, err := strconv.ParseInt(pos[1], 10, 64)
	if err != nil {
		return 0, 0, usagef("position %q is not a number", pos[1])
	}
	return id, n, nil
}

// runProjectConfig is "hookboard project": a project and its board.
func runProjectConfig(ctx context.Context, env *Env, args []string) error {
	sub, args, err := subcommand("project", projectUsage,
		[]string{"list", "create", "show", "rename", "describe", "disable", "enable", "remove", "column", "swimlane", "category",
			"members", "add-member", "remove-member", "role", "groups", "add-group", "remove-group", "group-role"}, args)
	if err != nil {
		return err
	}
	switch sub {
	case "column", "swimlane", "category":
		subs := map[string][]string{"column": {"add", "rename", "move", "limit", "remove"},
			"swimlane": {"add", "rename", "move", "enable", "disable", "remove"}, "category": {"add", "rename", "color", "remove"}}[sub]
		var part string
		part, args, err = subcommand("project "+sub, projectUsage, subs, args)
		if err != nil {
			return err
		}
		if part != "" {
			sub += " " + part
		}
	}
	fs := newFlagSet(env, "project "+sub, projectUsage)
	db := fs.dbFlag()
	asJSON := fs.jsonFlag()
	var o projectOpts
	fs.FlagSet.StringVar(&o.description, "description", "", "description (project create, column add, swimlane add)")
	fs.FlagSet.StringVar(&o.identifier, "identifier", "", "project identifier, letters and digits (project create)")
	fs.FlagSet.StringVar(&o.color, "color", "", "colour id such as red or blue (category add)")
	fs.FlagSet.Int64Var(&o.limit, "limit", 0, "WIP limit: most open tasks in the column, 0 for none (column add)")
	role := fs.FlagSet.String("role", store.ProjectMember, "the new member's or group's project role (project add-member, add-group)")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	st, err := openStore(env, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "members", "add-member", "remove-member", "role":
		return projectMembers(ctx, env, st, sub, pos, *asJSON, *role)
	case "groups", "add-group", "remove-group", "group-role":
		return projectGroups(ctx, env, st, sub, pos, *asJSON, *role)
	case "list":
		if len(pos) != 0 {
			return usagef("usage: hookboard project list")
		}
		projects, err := st.Projects(ctx)
		if err != nil {
			return err
		}
		return printList(env, *asJSON, listText{"ID\tNAME\tIDENTIFIER\tSTATE", "no projects"}, projects,
			func(p store.Project) map[string]any {
				return map[string]any{"id": p.ID, "name": p.Name, "identifier": p.Identifier, "active": p.IsActive}
			},
			func(p store.Project) string {
				return fmt.Sprintf("%d\t%s\t%s\t%s", p.ID, p.Name, p.Identifier, activeText(p.IsActive))
			})
	case "show":
		if len(pos) != 1 {
			return usagef("usage: hookboard project show ID")
		}
		id, err := parseID("project", pos[0])
		if err != nil {
			return err
		}
		return showProject(ctx, env, st, id, *asJSON)
	}
	part := projectParts[sub]
	if len(pos) != len(part.args) {
		return usagef("usage: hookboard project %s %s", sub, strings.Join(part.args, " "))
	}
	id, text, err := part.run(ctx, st, o, pos)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env.Stdout, map[string]any{"id": id, "done": sub})
	}
	fmt.Fprintln(env.Stdout, text)
	return nil
}

func activeText(active bool) string {
	if active {
		return "active"
	}
	return "disabled"
}

// showProject prints a project with its columns, swimlanes and categories.
func showProject(ctx context.Context, env *Env, st *store.Store, id int64, asJSON bool) error {
	p, err := st.ProjectByID(ctx, id)
	if err != nil {
		return fmt.Errorf("project %d: %w", id, err)
	}
	cols, err := st.Columns(ctx, id)
	if err != nil {
		return err
	}
	lanes, err := st.Swimlanes(ctx, id)
	if err != nil {
		return err
	}
	cats, err := st.Categories(ctx, id)
	if err != nil {
		return err
	}
	if asJSON {
		// The rows as Kanboard's API shows them.
		return printJSON(env.Stdout, map[string]any{"project": p.Object(), "columns": cols, "swimlanes": lanes, "categories": cats})
	}
	w := env.Stdout
	fmt.Fprintf(w, "project %d: %s (%s)\n", p.ID, p.Name, activeText(p.IsActive))
	if p.Identifier != "" {
		fmt.Fprintf(w, "identifier: %s\n", p.Identifier)
	}
	if p.Description != "" {
		fmt.Fprintf(w, "description: %s\n", p.Description)
	}
	fmt.Fprintln(w, "\nCOLUMN\tPOSITION\tTITLE\tWIP LIMIT")
	for _, c := range cols {
		limit := "none"
		if c.TaskLimit > 0 {
			limit = strconv.Itoa(c.TaskLimit)
		}
		fmt.Fprintf(w, "%d\t%d\t%s\t%s\n", c.ID, c.Position, c.Title, limit)
	}
	fmt.Fprintln(w, "\nSWIMLANE\tPOSITION\tNAME\tSTATE")
	for _, l := range lanes {
		fmt.Fprintf(w, "%d\t%d\t%s\t%s\n", l.ID, l.Position, l.Name, activeText(l.IsActive))
	}
	fmt.Fprintln(w, "\nCATEGORY\tNAME\tCOLOR")
	for _, c := range cats {
		fmt.Fprintf(w, "%d\t%s\t%s\n", c.ID, c.Name, c.ColorID)
	}
	return nil
}
