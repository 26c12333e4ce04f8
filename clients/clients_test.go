package clients

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// needTool finds a program the test drives; without it the test skips on a
// laptop and fails under CI, whose .ci/run installs it.
func needTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is needed (apt-get install %s): %v", name, debianPackage, err)
	}
	t.Skipf("%s is needed (apt-get install %s)", name, debianPackage)
	return ""
}

// pythonWithKanboard is the Python that has Debian's python3-kanboard:
// Debian's own first, since another python3 may come first on the PATH.
var pythonWithKanboard = "python3"

// needPythonKanboard finds a python3 that can import kanboard.
func needPythonKanboard(t *testing.T) {
	t.Helper()
	for _, python := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(python, "-c", "import kanboard").Run() == nil {
			pythonWithKanboard = python
			return
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no python3 can import kanboard (apt-get install python3-kanboard)")
	}
	t.Skip("no python3 can import kanboard (apt-get install python3-kanboard)")
}

// hookboard is one running server, started from the real binary on a fresh
// database with an admin, a plain user and an API integration.
type hookboard struct {
	bin, db    string
	api        string // http://127.0.0.1:PORT/jsonrpc.php
	apiToken   string
	adminPass  string
	memberPass string
}

var listenAddr = regexp.MustCompile(`msg="hookboard listening" addr=(\S+)`)

func startHookboard(t *testing.T) *hookboard {
	t.Helper()
	goTool := needTool(t, "go", "golang")
	dir := t.TempDir()
	h := &hookboard{bin: filepath.Join(dir, "hookboard"), db: filepath.Join(dir, "board.db"),
		adminPass: "admin-password-1", memberPass: "member-password-1"}
	if out, err := exec.Command(goTool, "build", "-o", h.bin, "hookboard").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	h.run(t, h.adminPass+"\n", "user", "add", "boss", "-admin", "-password-stdin")
	h.run(t, h.memberPass+"\n", "user", "add", "mia", "-password-stdin")
	var created struct{ Token string }
	if err := json.Unmarshal([]byte(h.run(t, "", "integration", "add", "scripts", "-kind", "api", "-json")), &created); err != nil || created.Token == "" {
		t.Fatalf("integration add: token %q, err %v", created.Token, err)
	}
	h.apiToken = created.Token

	cmd := exec.Command(h.bin, "serve", "-db", h.db, "-addr", "127.0.0.1:0", "-shutdown-timeout", "5s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listenAddr.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		h.api = "http://" + a + "/jsonrpc.php"
	case <-done:
		t.Fatal("hookboard exited before listening")
	case <-time.After(60 * time.Second):
		t.Fatal("hookboard did not listen within 60 s")
	}
	return h
}

// run runs a hookboard command on the test's database.
func (h *hookboard) run(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(h.bin, append(args, "-db", h.db)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hookboard %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// python runs script with python3 and decodes the JSON it prints last.
func python(t *testing.T, script string, args ...string) map[string]any {
	t.Helper()
	cmd := exec.Command(pythonWithKanboard, append([]string{"-c", script}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("python printed %q: %v", out, err)
	}
	return got
}

// The examples of python-kanboard's README, as written there: a team
// project and a task with the application token, and the projects of a
// user who logs in with a password.
func TestPythonKanboardReadmeExamples(t *testing.T) {
	needPythonKanboard(t)
	h := startHookboard(t)
	got := python(t, `
import json, sys
from kanboard import Kanboard
url, token, password = sys.argv[1:4]

kb = Kanboard(url, "jsonrpc", token)
project_id = kb.create_project(name="My project")
task_id = kb.create_task(project_id=project_id, title="My task title")

kb = Kanboard(url, "boss", password)
mine_before = kb.get_my_projects()
own_id = kb.create_project(name="Boss project")
mine = kb.get_my_projects()
task = Kanboard(url, "jsonrpc", token).get_task(task_id=task_id)
print(json.dumps({"project_id": project_id, "task_id": task_id, "task_title": task["title"],
                  "mine_before": [p["name"] for p in mine_before], "mine": [p["name"] for p in mine], "own_id": own_id}))
`, h.api, h.apiToken, h.adminPass)
	if got["project_id"] == false || got["task_id"] == false || got["task_title"] != "My task title" {
		t.Fatalf("team project and task: %v", got)
	}
	// A project made with the application token has no members, as in
	// Kanboard; the one the user made is theirs.
	if mine := got["mine"].([]any); len(mine) != 1 || mine[0] != "Boss project" || len(got["mine_before"].([]any)) != 0 {
		t.Fatalf("get_my_projects as boss: before %v, after %v; want [] then [Boss project]", got["mine_before"], got["mine"])
	}
}

// A typical sync script: find a task by its reference, create it when
// missing or update it when found, move it, comment on it and close it.
func TestPythonSyncScript(t *testing.T) {
	needPythonKanboard(t)
	h := startHookboard(t)
	script := `
import json, sys
from kanboard import Kanboard
url, token, title = sys.argv[1:4]
kb = Kanboard(url, "jsonrpc", token)
project = kb.get_project_by_name(name="Ops") or {"id": kb.create_project(name="Ops")}
pid = project["id"]
columns = kb.get_columns(project_id=pid)
task = kb.get_task_by_reference(project_id=pid, reference="TICKET-42")
if task:
    kb.update_task(id=task["id"], title=title)
    tid = task["id"]
else:
    tid = kb.create_task(project_id=pid, title=title, reference="TICKET-42")
swimlane = kb.get_active_swimlanes(project_id=pid)[0]["id"]
moved = kb.move_task_position(project_id=pid, task_id=tid, column_id=columns[2]["id"], position=1, swimlane_id=swimlane)
comment = kb.create_comment(task_id=tid, user_id=0, content="synced: " + title)
found = kb.search_tasks(project_id=pid, query="ref:TICKET-42")
task = kb.get_task(task_id=tid)
print(json.dumps({"task_id": tid, "title": task["title"], "column": task["column_id"], "want_column": columns[2]["id"],
                  "moved": moved, "comment": comment, "found": [t["id"] for t in found],
                  "comments": [c["comment"] for c in kb.get_all_comments(task_id=tid)]}))
`
	first := python(t, script, h.api, h.apiToken, "first sync")
	second := python(t, script, h.api, h.apiToken, "second sync")
	if first["task_id"] != second["task_id"] || second["title"] != "second sync" {
		t.Fatalf("the second run did not find the first run's task by reference: %v then %v", first, second)
	}
	if second["moved"] != true || second["column"] != second["want_column"] || second["comment"] == false {
		t.Fatalf("move and comment: %v", second)
	}
	if found := second["found"].([]any); len(found) != 1 || found[0] != second["task_id"] {
		t.Fatalf("search_tasks ref:TICKET-42 found %v, want [%v]", found, second["task_id"])
	}
	if c := second["comments"].([]any); len(c) != 2 || c[1] != "synced: second sync" {
		t.Fatalf("comments after two runs: %v", c)
	}
	closed := python(t, `
import json, sys
from kanboard import Kanboard
url, token, tid = sys.argv[1:4]
kb = Kanboard(url, "jsonrpc", token)
ok = kb.close_task(task_id=int(tid))
print(json.dumps({"closed": ok, "is_active": kb.get_task(task_id=int(tid))["is_active"]}))
`, h.api, h.apiToken, jsonNumber(second["task_id"]))
	if closed["closed"] != true || closed["is_active"] != float64(0) {
		t.Fatalf("close_task: %v", closed)
	}
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// kanboard runs kanboard-cli against h as username with password.
func (h *hookboard) kanboard(t *testing.T, username, password string, args ...string) string {
	t.Helper()
	cmd := exec.Command("kanboard", append([]string{"--url", h.api, "--username", username, "--password", password}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kanboard %s as %s: %v\n%s", strings.Join(args, " "), username, err, out)
	}
	return string(out)
}

// Every kanboard-cli command, with the application token and with a user
// login.
func TestKanboardCLIEveryCommand(t *testing.T) {
	needTool(t, "kanboard", "kanboard-cli")
	needPythonKanboard(t)
	h := startHookboard(t)
	logins := []struct{ name, username, password string }{
		{"application token", "jsonrpc", h.apiToken},
		{"user login", "boss", h.adminPass},
	}
	// The user's project: created through the API as that user, so they
	// manage it.
	python(t, `
import json, sys
from kanboard import Kanboard
kb = Kanboard(sys.argv[1], "boss", sys.argv[2])
print(json.dumps({"id": kb.create_project(name="CLI board")}))
`, h.api, h.adminPass)
	for _, l := range logins {
		t.Run(l.name, func(t *testing.T) {
			if out := h.kanboard(t, l.username, l.password, "app", "timezone"); !strings.Contains(out, "UTC") {
				t.Errorf("app timezone: %q", out)
			}
			if out := h.kanboard(t, l.username, l.password, "app", "version"); strings.TrimSpace(out) == "" {
				t.Errorf("app version printed nothing")
			}
			if out := h.kanboard(t, l.username, l.password, "project", "list", "-f", "json"); !strings.Contains(out, `"CLI board"`) {
				t.Errorf("project list: %q", out)
			}
			show := h.kanboard(t, l.username, l.password, "project", "show", "1", "-f", "json")
			if !strings.Contains(show, `"CLI board"`) || !strings.Contains(show, "/projects/1/board") {
				t.Errorf("project show 1: %q", show)
			}
			id := strings.TrimSpace(h.kanboard(t, l.username, l.password, "task", "create", "1", "from the cli as "+l.username, "--color-id", "red"))
			if id == "" || id == "False" {
				t.Fatalf("task create printed %q", id)
			}
			list := h.kanboard(t, l.username, l.password, "task", "list", "1", "-f", "json")
			if !strings.Contains(list, `"from the cli as `+l.username+`"`) || !strings.Contains(list, `"Red"`) {
				t.Errorf("task list 1: %q", list)
			}
		})
	}
}
