package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"hookboard/store"
)

// TestGroupCommands: groups, their members and the projects shared with
// them, seen in the lists and in the roles users get; bad input changes
// nothing.
func TestGroupCommands(t *testing.T) {
	db := testDB(t)
	run := func(args ...string) (int, string, string) {
		return runCLI(t, "", append(args, "-db", db)...)
	}
	must := func(args ...string) string {
		t.Helper()
		code, out, errOut := run(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	must("user", "add", "ann")
	must("project", "create", "Ops")
	if out := must("group", "create", "Team", "-external-id", "cn=team", "-json"); !strings.Contains(out, `"done": "create"`) {
		t.Fatalf("group create -json: %s", out)
	}
	if code, _, errOut := run("group", "create", "Team"); code != 1 || !strings.Contains(errOut, "exists") {
		t.Fatalf("duplicate: %d %s", code, errOut)
	}
	must("group", "rename", "Team", "Crew")
	must("group", "add-member", "Crew", "ann")
	if code, _, errOut := run("group", "add-member", "Crew", "nobody"); code != 1 || !strings.Contains(errOut, "nobody") {
		t.Fatalf("unknown user: %d %s", code, errOut)
	}
	if out := must("group", "list"); out != "ID\tNAME\tEXTERNAL ID\tUSERS\n1\tCrew\tcn=team\t1\n" {
		t.Fatalf("group list = %q", out)
	}
	if out := must("group", "members", "Crew"); !strings.Contains(out, "\tann\t") {
		t.Fatalf("group members = %q", out)
	}

	must("project", "add-group", "1", "Crew", "-role", "project-viewer")
	if code, _, errOut := run("project", "group-role", "1", "Crew", "project-owner"); code != 1 || !strings.Contains(errOut, "role must be") {
		t.Fatalf("unknown role: %d %s", code, errOut)
	}
	must("project", "group-role", "1", "Crew", "project-manager")
	var groups []map[string]any
	if err := json.Unmarshal([]byte(must("project", "groups", "1", "-json")), &groups); err != nil || len(groups) != 1 ||
		groups[0]["name"] != "Crew" || groups[0]["role"] != "project-manager" {
		t.Fatalf("project groups = %v %v", groups, err)
	}
	role := func() string {
		st, err := openTestStore(db, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		u, _ := st.UserByName(context.Background(), "ann")
		r, _ := st.ProjectRole(context.Background(), 1, u.ID)
		return r
	}
	if r := role(); r != store.ProjectManager {
		t.Fatalf("ann's role through Crew = %q", r)
	}
	must("project", "remove-group", "1", "Crew")
	if out := must("project", "groups", "1"); out != "no groups\n" {
		t.Fatalf("project groups after removal = %q", out)
	}
	must("group", "remove-member", "Crew", "ann")
	must("group", "rm", "Crew")
	if out := must("group", "list"); out != "no groups\n" {
		t.Fatalf("group list after rm = %q", out)
	}
	if code, _, errOut := run("group", "rm", "Crew"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("rm again: %d %s", code, errOut)
	}
}
