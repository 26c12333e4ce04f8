package cli

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kanboardSmall is the database a real Kanboard wrote (store/testdata).
const kanboardSmall = "../store/testdata/kanboard-small"

// copyKanboardSmall copies the reference database and its files folder to
// a fresh folder the test may change.
func copyKanboardSmall(t *testing.T) (db, files string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(kanboardSmall)); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "db.sqlite"), filepath.Join(dir, "files")
}

// userRPC calls a procedure as a user with a password and returns the
// HTTP status and the result.
func userRPC(t *testing.T, base, user, password, method string, params any) (int, json.RawMessage) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	req, _ := http.NewRequest(http.MethodPost, base+"/jsonrpc.php", strings.NewReader(string(body)))
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct {
		Result json.RawMessage `json:"result"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil || out.Result == nil {
			t.Fatalf("%s: %s", method, b)
		}
	}
	return resp.StatusCode, out.Result
}

// TestImportKanboardThenServe imports the reference database into a new
// Hookboard, starts the server on it, and reads everything back through
// the API as Kanboard's users, logged in with their Kanboard passwords.
func TestImportKanboardThenServe(t *testing.T) {
	kb, files := copyKanboardSmall(t)
	db := testDB(t)
	code, out, errOut := runCLI(t, "", "import-kanboard", "-db", db, "-files", files, "-json", kb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Imported []struct {
			What  string
			Count int
		}
		NotImported []struct {
			What  string
			Count int
			Why   string
		} `json:"not_imported"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	counts := map[string]int{}
	for _, c := range rep.Imported {
		counts[c.What] = c.Count
	}
	if counts["users"] != 4 || counts["tasks"] != 30 || counts["files"] != 3 || counts["comments"] != 11 {
		t.Errorf("imported %v", counts)
	}

	raw, err := os.ReadFile(filepath.Join(kanboardSmall, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Users []struct {
			ID       int64
			Username string
			Role     string
		}
		Tasks []map[string]any
		Files []struct {
			ID     int64
			TaskID int64 `json:"task_id"`
			Name   string
			SHA256 string `json:"sha256"`
		}
		Projects []struct {
			ID      int64
			Name    string
			Columns []struct {
				ID    int64
				Title string
			}
		}
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	passwords := map[string]string{"admin": "admin", "alice": "alice-pass-1", "bob": "bob-pass-22", "carol": "carol-pass-333"}

	s := startServer(t, db)
	if strings.Contains(s.stdout.String(), "password") {
		t.Errorf("the server bootstrapped a new admin over the imported users: %s", s.stdout)
	}
	for _, u := range want.Users {
		status, res := userRPC(t, s.url, u.Username, passwords[u.Username], "getMe", nil)
		var me struct {
			ID       int64
			Username string
		}
		json.Unmarshal(res, &me)
		if status != http.StatusOK || me.ID != u.ID || me.Username != u.Username {
			t.Errorf("getMe as %s: %d %s", u.Username, status, res)
		}
	}
	if status, _ := userRPC(t, s.url, "alice", "not her password", "getMe", nil); status != http.StatusUnauthorized {
		t.Errorf("a wrong Kanboard password: %d", status)
	}

	_, res := userRPC(t, s.url, "admin", "admin", "getAllProjects", nil)
	var projects []struct {
		ID   int64
		Name string
	}
	json.Unmarshal(res, &projects)
	if len(projects) != 2 || projects[0].Name != want.Projects[0].Name || projects[1].Name != want.Projects[1].Name {
		t.Errorf("getAllProjects: %s", res)
	}
	_, res = userRPC(t, s.url, "admin", "admin", "getColumns", map[string]any{"project_id": 1})
	var cols []struct {
		ID    int64
		Title string
	}
	json.Unmarshal(res, &cols)
	if len(cols) != len(want.Projects[0].Columns) {
		t.Fatalf("getColumns: %s", res)
	}
	for i, c := range want.Projects[0].Columns {
		if cols[i].ID != c.ID || cols[i].Title != c.Title {
			t.Errorf("column %d: %+v, want %+v", i, cols[i], c)
		}
	}

	// Every task, field by field, as getTask answers it.
	for _, w := range want.Tasks {
		_, res := userRPC(t, s.url, "admin", "admin", "getTask", map[string]any{"task_id": w["id"]})
		var got map[string]any
		if err := json.Unmarshal(res, &got); err != nil || got == nil {
			t.Fatalf("getTask %v: %s", w["id"], res)
		}
		for _, k := range []string{"title", "color_id", "is_active", "date_due", "reference", "score", "priority",
			"description", "position", "date_started", "date_creation", "date_modification", "date_moved",
			"project_name", "column_title", "swimlane_name"} {
			wk := map[string]string{"project_name": "project", "column_title": "column", "swimlane_name": "swimlane"}[k]
			if wk == "" {
				wk = k
			}
			if got[k] != w[wk] {
				t.Errorf("task %v %s = %v, want %v", w["id"], k, got[k], w[wk])
			}
		}
		for k, wk := range map[string]string{"assignee_username": "owner", "creator_username": "creator", "category_name": "category"} {
			if got[k] != w[wk] {
				t.Errorf("task %v %s = %v, want %v", w["id"], k, got[k], w[wk])
			}
		}
		for _, k := range []string{"time_estimated", "time_spent", "date_completed"} {
			wv := w[k]
			if wv == nil && k != "date_completed" {
				wv = float64(0) // Kanboard's NULL time is Hookboard's 0
			}
			if got[k] != wv {
				t.Errorf("task %v %s = %v, want %v", w["id"], k, got[k], wv)
			}
		}
	}

	// The restricted comment stayed out; the others read back.
	_, res = userRPC(t, s.url, "admin", "admin", "getAllComments", map[string]any{"task_id": 4})
	var comments []struct{ Comment, Username string }
	json.Unmarshal(res, &comments)
	if len(comments) != 0 {
		t.Errorf("task 4's manager-only comment was imported: %s", res)
	}
	_, res = userRPC(t, s.url, "bob", "bob-pass-22", "getAllComments", map[string]any{"task_id": 1})
	json.Unmarshal(res, &comments)
	if len(comments) != 2 || comments[0].Username == "" {
		t.Errorf("task 1 comments: %s", res)
	}
	_, res = userRPC(t, s.url, "admin", "admin", "getAllSubtasks", map[string]any{"task_id": 1})
	var subtasks []map[string]any
	json.Unmarshal(res, &subtasks)
	if len(subtasks) != 3 {
		t.Errorf("task 1 subtasks: %s", res)
	}

	// Files come back byte for byte.
	for _, f := range want.Files {
		_, res := userRPC(t, s.url, "carol", "carol-pass-333", "downloadTaskFile", map[string]any{"file_id": f.ID})
		var b64 string
		json.Unmarshal(res, &b64)
		data, err := base64.StdEncoding.DecodeString(b64)
		sum := sha256.Sum256(data)
		if err != nil || hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("file %d (%s) differs: %v", f.ID, f.Name, err)
		}
	}
}

func TestImportKanboardText(t *testing.T) {
	kb, _ := copyKanboardSmall(t)
	db := testDB(t)
	code, out, errOut := runCLI(t, "", "import-kanboard", "-db", db, kb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, line := range []string{
		"Imported from Kanboard (schema version 128) in one transaction:",
		"  tasks                  30\n",
		"  task links             4\n",
		"  task metadata          4\n",
		"  subtask time tracking  0\n",
		"Kept Kanboard's ids: users, projects, groups, columns,",
		"Not imported:",
		"no files folder was given",
		"automatic actions",
		"No webhooks were sent",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}

	// A second import of the same database says so.
	code, out, errOut2 := runCLI(t, "", "import-kanboard", "-db", db, kb)
	if code != 0 || !strings.Contains(out, "Already in Hookboard, kept with their password and role: admin, alice, bob, carol") ||
		!strings.Contains(out, `Warning: Hookboard had a project named "Operations" already`) {
		t.Errorf("second import: exit %d\n%s\n%s", code, out, errOut2)
	}
}

func TestImportKanboardRefuses(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hookboard.db")
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("not a database"), 0o644)

	code, out, errOut := runCLI(t, "", "import-kanboard", "-db", db, notes)
	if code != 1 || out != "" || !strings.Contains(errOut, "not a Kanboard database") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "import-kanboard", "-db", db, "-json", notes)
	var e struct{ Error string }
	if code != 1 || out != "" || json.Unmarshal([]byte(errOut), &e) != nil || !strings.Contains(e.Error, "not a Kanboard database") {
		t.Errorf("-json: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "", "import-kanboard", "-db", db); code != 2 || !strings.Contains(errOut, "usage") {
		t.Errorf("no path: exit %d, stderr %q", code, errOut)
	}
}
