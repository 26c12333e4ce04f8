package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"hookboard/store"
)

// TestIntegrationEdit changes an integration with `integration edit` while
// the server runs, and checks that `list -json` shows each change and that
// the next incoming request follows it: the default place, the allowed
// addresses and the proof.
func TestIntegrationEdit(t *testing.T) {
	ctx := context.Background()
	db := testDB(t)
	st, err := openTestStore(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	project := func(name string) (int64, []store.Column) {
		id, err := st.CreateProject(ctx, name, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := st.Columns(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return id, cols
	}
	ops, opsCols := project("Ops")
	dev, devCols := project("Dev")
	urgent, err := st.CreateSwimlane(ctx, dev, "Urgent")
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, db)

	code, out, errOut := runCLI(t, "", "integration", "add", "feed", "-project", jsonID(ops), "-json", "-db", db)
	var feed struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(out), &feed); code != 0 || err != nil {
		t.Fatalf("integration add: %d %q %s", code, out, errOut)
	}
	id := jsonID(feed.ID)
	// send creates a task through the incoming URL and says where it went.
	send := func(title string, wantStatus int) (project, column, lane int64) {
		t.Helper()
		status, body := createTask(t, s.url, feed.Token, title)
		if status != wantStatus {
			t.Fatalf("%s: %d %q, want %d", title, status, body, wantStatus)
		}
		for _, p := range []int64{ops, dev} {
			tasks, _ := st.Tasks(ctx, p, store.TaskAny)
			for _, tk := range tasks {
				if tk.Title == title {
					return tk.ProjectID, tk.ColumnID, tk.SwimlaneID
				}
			}
		}
		return 0, 0, 0
	}
	edit := func(args ...string) map[string]any {
		t.Helper()
		code, out, errOut := runCLI(t, "", append([]string{"integration", "edit", id, "-json", "-db", db}, args...)...)
		var row map[string]any
		if err := json.Unmarshal([]byte(out), &row); code != 0 || err != nil {
			t.Fatalf("integration edit %v: %d %q %s", args, code, out, errOut)
		}
		return row
	}

	if p, c, _ := send("before", http.StatusOK); p != ops || c != opsCols[0].ID {
		t.Fatalf("before the edit the task went to project %d column %d", p, c)
	}
	start := time.Now().UTC().Truncate(time.Second)
	row := edit("-name", "deploy", "-description", "the pipeline", "-expires", "30d",
		"-project", jsonID(dev), "-column", jsonID(devCols[2].ID), "-swimlane", jsonID(urgent), "-allow-ip", "127.0.0.1,::1")
	exp, _ := time.Parse(time.RFC3339, str(row["expires_at"]))
	if row["name"] != "deploy" || row["description"] != "the pipeline" || row["default_project_id"] != float64(dev) ||
		row["default_column_id"] != float64(devCols[2].ID) || row["default_swimlane_id"] != float64(urgent) ||
		!slices.Equal(strs(row["allowed_ips"]), []string{"127.0.0.1/32", "::1/128"}) ||
		exp.Before(start.Add(30*24*time.Hour)) || exp.After(start.Add(30*24*time.Hour+time.Minute)) || row["token_hint"] == "" {
		t.Fatalf("edit -json: %v", row)
	}
	if !reflect.DeepEqual(listRow(t, db, feed.ID), row) {
		t.Fatalf("list shows %v, edit printed %v", listRow(t, db, feed.ID), row)
	}
	if p, c, l := send("after the edit", http.StatusOK); p != dev || c != devCols[2].ID || l != urgent {
		t.Fatalf("after the edit the task went to project %d column %d swimlane %d", p, c, l)
	}

	// A column alone keeps the project and swimlane; the text output names
	// the integration.
	code, out, errOut = runCLI(t, "", "integration", "edit", id, "-column", jsonID(devCols[1].ID), "-db", db)
	if code != 0 || !strings.Contains(out, "integration "+id+" (deploy) saved") {
		t.Fatalf("edit -column: %d %q %s", code, out, errOut)
	}
	if p, c, l := send("into another column", http.StatusOK); p != dev || c != devCols[1].ID || l != urgent {
		t.Fatalf("after -column the task went to project %d column %d swimlane %d", p, c, l)
	}

	// Proof on prints the app secret once; off drops it.
	row = edit("-require-proof")
	if row["require_proof"] != true || !strings.HasPrefix(str(row["app_secret"]), store.PrefixAppSecret) {
		t.Fatalf("edit -require-proof: %v", row)
	}
	send("without the proof", http.StatusUnauthorized)
	if row = edit("-require-proof=false"); row["require_proof"] != false || row["app_secret"] != nil {
		t.Fatalf("edit -require-proof=false: %v", row)
	}
	if row = edit("-allow-ip", "10.0.0.0/8"); !slices.Equal(strs(row["allowed_ips"]), []string{"10.0.0.0/8"}) {
		t.Fatalf("edit -allow-ip: %v", row)
	}
	send("from an address no longer allowed", http.StatusUnauthorized)
	if row = edit("-allow-ip", "any", "-expires", "never"); len(strs(row["allowed_ips"])) != 0 || row["expires_at"] != nil {
		t.Fatalf("edit -allow-ip any -expires never: %v", row)
	}
	send("from anywhere", http.StatusOK)

	// Bad input: a usage error (2) or a refusal (1), and nothing changed.
	before := listRow(t, db, feed.ID)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"integration", "edit"}, 2, "usage"},
		{[]string{"integration", "edit", "abc", "-name", "x"}, 2, `"abc" is not a number`},
		{[]string{"integration", "edit", id}, 2, "nothing to change"},
		{[]string{"integration", "edit", id, "-name", "x", "-expires", "soon"}, 2, `expiry "soon"`},
		{[]string{"integration", "edit", id, "-name", "x", "-allow-ip", "10.0.0.300"}, 2, `"10.0.0.300"`},
		{[]string{"integration", "edit", id, "-name", "  "}, 1, "integration name is required"},
		{[]string{"integration", "edit", id, "-name", "x", "-project", jsonID(ops), "-column", jsonID(devCols[0].ID)}, 1, "is not in project"},
		{[]string{"integration", "edit", id, "-project", "999"}, 1, "project 999 does not exist"},
		{[]string{"integration", "edit", "999", "-name", "x"}, 1, "not found"},
	} {
		code, out, errOut := runCLI(t, "", append(c.args, "-db", db)...)
		if code != c.code || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, out, errOut, c.code, c.want)
		}
	}
	code, out, errOut = runCLI(t, "", "integration", "edit", id, "-name", " ", "-json", "-db", db)
	var refusal struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(errOut), &refusal); code != 1 || err != nil || refusal.Error != "integration name is required" || out != "" {
		t.Errorf("a refused edit with -json: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if after := listRow(t, db, feed.ID); !reflect.DeepEqual(after, before) {
		t.Fatalf("refused edits changed the integration: %v, was %v", after, before)
	}
}
