package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"hookboard/store"
)

// TestProjectCommands configures a project from the command line: each
// change answers its id with -json, what is refused exits 1 with the
// reason and changes nothing, and each change writes its event.
func TestProjectCommands(t *testing.T) {
	db := testDB(t)
	run := func(want int, args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, "", append(args, "-db", db)...)
		if code != want {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
		return out + errOut
	}
	id := func(args ...string) string {
		t.Helper()
		var v struct{ ID int64 }
		if err := json.Unmarshal([]byte(run(0, append(args, "-json")...)), &v); err != nil || v.ID <= 0 {
			t.Fatalf("%v: no id", args)
		}
		return strconvI(v.ID)
	}
	pid := id("project", "create", "Ops", "-identifier", "ops", "-description", "the ops board")
	col := id("project", "column", "add", pid, "Review", "-limit", "3")
	run(0, "project", "column", "move", col, "1")
	run(0, "project", "column", "limit", col, "5")
	run(0, "project", "column", "rename", col, "Checked")
	lane := id("project", "swimlane", "add", pid, "Urgent")
	run(0, "project", "swimlane", "disable", lane)
	cat := id("project", "category", "add", pid, "Bug", "-color", "red")
	run(0, "project", "category", "color", cat, "blue")
	if out := run(1, "project", "category", "add", pid, "bug"); !strings.Contains(out, "the project has a category of that name") {
		t.Errorf("duplicate category: %q", out)
	}
	if out := run(1, "project", "category", "color", cat, "plaid"); !strings.Contains(out, `unknown color_id "plaid"`) {
		t.Errorf("bad colour: %q", out)
	}
	if out := run(2, "project", "column", "limit", col, "many"); !strings.Contains(out, "not a number") {
		t.Errorf("bad limit: %q", out)
	}
	run(2, "project", "column", "add", pid)

	st, err := openTestStore(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := st.Columns(context.Background(), 1)
	if len(cols) == 0 {
		t.Fatal("no columns")
	}
	if _, _, err := st.CreateTask(context.Background(), store.Actor{}, store.NewTask{Title: "t", ProjectID: 1, ColumnID: cols[1].ID}); err != nil {
		t.Fatal(err)
	}
	n, _ := st.EventCount(context.Background(), store.EventColumnUpdate)
	st.Close()
	if n != 3 {
		t.Errorf("%d column.update events, want 3", n)
	}
	if out := run(1, "project", "column", "remove", strconvI(cols[1].ID)); !strings.Contains(out, `column "Backlog" holds 1 task(s)`) {
		t.Errorf("non-empty column: %q", out)
	}
	run(0, "project", "column", "remove", strconvI(cols[2].ID))

	out := run(0, "project", "show", pid)
	for _, want := range []string{"project 1: Ops (active)", "identifier: OPS", "\n" + col + "\t1\tChecked\t5\n",
		"\t0\tUrgent\tdisabled\n", "\tBug\tblue\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\tReady\t") {
		t.Errorf("removed column still shown:\n%s", out)
	}
	var shown struct {
		Project store.ProjectObject
		Columns []map[string]any
	}
	if err := json.Unmarshal([]byte(run(0, "project", "show", pid, "-json")), &shown); err != nil || shown.Project.Identifier != "OPS" ||
		len(shown.Columns) != 4 || shown.Columns[0]["task_limit"] != 5.0 {
		t.Errorf("show -json: %+v %v", shown, err)
	}
	run(0, "project", "disable", pid)
	if out := run(0, "project", "list"); !strings.Contains(out, "1\tOps\tOPS\tdisabled") {
		t.Errorf("list: %q", out)
	}
	run(0, "project", "remove", pid)
	if out := run(1, "project", "show", pid, "-json"); !strings.Contains(out, `"error"`) {
		t.Errorf("removed: %q", out)
	}
}

func strconvI(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
