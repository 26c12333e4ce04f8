package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"hookboard/store"
)

// pfilesFixture is the RPC fixture plus carol, a project-viewer of Alpha,
// and dave, in no project.
func pfilesFixture(t *testing.T, makeNotifier func(*store.Store) Notifier) (f *rpcFixture, viewer, outsider rpcAuth) {
	t.Helper()
	f = newRPCFixture(t, makeNotifier)
	ctx := context.Background()
	carol, err := f.st.CreateUser(ctx, "carol", "carol password", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.AddProjectMember(ctx, f.p1, carol.ID, store.ProjectViewer); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CreateUser(ctx, "dave", "dave password", false); err != nil {
		t.Fatal(err)
	}
	return f, basicAuth("carol", "carol password"), basicAuth("dave", "dave password")
}

// fileDates hides the files' upload times, which are the clock's.
var fileDates = regexp.MustCompile(`"date":\d+`)

// runPfilesCases is runRPCCases with upload times hidden.
func runPfilesCases(t *testing.T, f *rpcFixture, cases []rpcCase) {
	t.Helper()
	for _, c := range cases {
		status, _, resp := f.post(t, c.auth, rpcRequestBody(c.method, c.params))
		if c.want == "403" {
			if status != http.StatusForbidden || resp != rpcForbiddenBody {
				t.Errorf("%s: %s(%v): %d %s, want 403", c.name, c.method, c.params, status, resp)
			}
			continue
		}
		var out struct {
			Result json.RawMessage `json:"result"`
		}
		if status != http.StatusOK || json.Unmarshal([]byte(resp), &out) != nil || out.Result == nil {
			t.Errorf("%s: %s(%v): %d %s", c.name, c.method, c.params, status, resp)
			continue
		}
		if got := fileDates.ReplaceAllString(string(out.Result), `"date":0`); got != c.want {
			t.Errorf("%s: %s(%v):\n got %s\nwant %s", c.name, c.method, c.params, got, c.want)
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestRPCProjectFileProcedures(t *testing.T) {
	f, viewer, outsider := pfilesFixture(t, nil)
	app, member := f.app(), basicAuth("bob", "bob password")
	_, before := f.counts(t)

	notes := f.callID(t, app, "createProjectFile", map[string]any{"project_id": f.p1, "filename": "notes.txt", "blob": b64("hello")})
	png := "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 8)
	pic := f.callID(t, member, "createProjectFile", []any{f.p1, "dir/a.png", b64(png)})
	other := f.callID(t, app, "createProjectFile", []any{f.p2, "beta.txt", b64("beta")})

	notesJSON := fmt.Sprintf(`{"id":%d,"name":"notes.txt","path":"projects/%d/%d","is_image":0,"size":5,"user_id":0,"date":0,"project_id":%d,"etag":"5d41402abc4b2a76b9719d911017c592","mime_type":"text/plain; charset=utf-8"}`,
		notes, f.p1, notes, f.p1)
	list := fmt.Sprintf(`[{"id":%d,"name":"a.png","path":"projects/%d/%d","is_image":1,"project_id":%d,"date":0,"user_id":%d,"size":16,"username":"bob","user_name":null,"etag":""},`+
		`{"id":%d,"name":"notes.txt","path":"projects/%d/%d","is_image":0,"project_id":%d,"date":0,"user_id":0,"size":5,"username":null,"user_name":null,"etag":""}]`,
		pic, f.p1, pic, f.p1, f.member.ID, notes, f.p1, notes, f.p1)
	big := b64(strings.Repeat("x", 1<<20+1))
	runPfilesCases(t, f, []rpcCase{
		{"get", app, "getProjectFile", map[string]any{"project_id": f.p1, "file_id": notes}, notesJSON},
		{"get, a viewer", viewer, "getProjectFile", []any{f.p1, notes}, notesJSON},
		{"get, named with another project", app, "getProjectFile", []any{f.p2, notes}, `false`},
		{"get, unknown", app, "getProjectFile", []any{f.p1, 999}, `false`},
		{"get, not in the project", outsider, "getProjectFile", []any{f.p1, notes}, `403`},
		{"get, a viewer of another project", viewer, "getProjectFile", []any{f.p2, other}, `403`},
		{"list by name", viewer, "getAllProjectFiles", []any{f.p1}, list},
		{"list, no files", app, "getAllProjectFiles", []any{999}, `[]`},
		{"list, not in the project", outsider, "getAllProjectFiles", []any{f.p1}, `403`},
		{"download", viewer, "downloadProjectFile", []any{f.p1, notes}, `"aGVsbG8="`},
		{"download, another project's", app, "downloadProjectFile", []any{f.p1, other}, `""`},
		{"download, not in the project", outsider, "downloadProjectFile", []any{f.p1, notes}, `403`},
		{"create, a viewer", viewer, "createProjectFile", []any{f.p1, "x.txt", b64("x")}, `403`},
		{"create, empty blob", app, "createProjectFile", []any{f.p1, "x.txt", ""}, `false`},
		{"create, not base64", app, "createProjectFile", []any{f.p1, "x.txt", "%%%"}, `false`},
		{"create, no name", app, "createProjectFile", []any{f.p1, " ", b64("x")}, `false`},
		{"create, too large", app, "createProjectFile", []any{f.p1, "x.txt", big}, `false`},
		{"create, unknown project", app, "createProjectFile", []any{999, "x.txt", b64("x")}, `false`},
		{"create, unknown project, a user", member, "createProjectFile", []any{999, "x.txt", b64("x")}, `403`},
		{"remove, a viewer", viewer, "removeProjectFile", []any{f.p1, notes}, `403`},
		{"remove, named with another project", app, "removeProjectFile", []any{f.p2, notes}, `false`},
		{"remove", member, "removeProjectFile", []any{f.p1, notes}, `true`},
		{"remove again", member, "removeProjectFile", []any{f.p1, notes}, `false`},
		{"remove all, a viewer", viewer, "removeAllProjectFiles", []any{f.p1}, `403`},
		{"remove all", member, "removeAllProjectFiles", []any{f.p1}, `true`},
		{"remove all, none left", member, "removeAllProjectFiles", []any{f.p1}, `true`},
		{"remove all, unknown project", app, "removeAllProjectFiles", []any{999}, `false`},
		{"the other project's file stays", app, "getAllProjectFiles", []any{f.p2}, fmt.Sprintf(
			`[{"id":%d,"name":"beta.txt","path":"projects/%d/%d","is_image":0,"project_id":%d,"date":0,"user_id":0,"size":4,"username":null,"user_name":null,"etag":""}]`,
			other, f.p2, other, f.p2)},
	})

	// Each change wrote its event, refused calls none.
	var names []string
	for _, e := range f.eventsSince(t, before) {
		names = append(names, e.Name)
	}
	want := "project_file.create project_file.create project_file.create project_file.delete project_file.delete"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("events: %s\nwant %s", got, want)
	}
}

func TestRPCSubtaskTimeTracking(t *testing.T) {
	f, viewer, outsider := pfilesFixture(t, nil)
	app, member := f.app(), basicAuth("bob", "bob password")
	task := f.callID(t, app, "createTask", map[string]any{"title": "Timed", "project_id": f.p1})
	sid := f.callID(t, app, "createSubtask", map[string]any{"task_id": task, "title": "Measure", "time_spent": 0.5})
	bob, alice := f.member.ID, f.admin.ID
	_, before := f.counts(t)

	runRPCCases(t, f, []rpcCase{
		{"no timer", viewer, "hasSubtaskTimer", []any{sid, bob}, `false`},
		{"no time", viewer, "getSubtaskTimeSpent", []any{sid, bob}, `0`},
		{"start, a viewer", viewer, "setSubtaskStartTime", []any{sid, bob}, `403`},
		{"start, not in the project", outsider, "setSubtaskStartTime", []any{sid, bob}, `403`},
		{"start, unknown subtask, a user", member, "setSubtaskStartTime", []any{999, bob}, `403`},
		{"start, unknown subtask", app, "setSubtaskStartTime", []any{999, bob}, `false`},
		{"start, unknown user", app, "setSubtaskStartTime", []any{sid, 999}, `false`},
		{"start another user's timer", member, "setSubtaskStartTime", []any{sid, alice}, `false`},
		{"start", member, "setSubtaskStartTime", map[string]any{"subtask_id": sid, "user_id": bob}, `true`},
		{"start again", member, "setSubtaskStartTime", []any{sid, bob}, `false`},
		{"the app starts alice's", app, "setSubtaskStartTime", []any{sid, alice}, `true`},
		{"running", viewer, "hasSubtaskTimer", []any{sid, bob}, `true`},
		{"has, not in the project", outsider, "hasSubtaskTimer", []any{sid, bob}, `403`},
	})
	// getAllSubtasks shows the caller's own timer, as Kanboard.
	for _, c := range []struct {
		who     string
		auth    rpcAuth
		started bool
	}{{"bob", member, true}, {"carol", viewer, false}, {"the app", app, false}} {
		var list []struct {
			Started bool  `json:"is_timer_started"`
			Start   int64 `json:"timer_start_date"`
		}
		json.Unmarshal(f.call(t, c.auth, "getAllSubtasks", []any{task}), &list)
		if len(list) != 1 || list[0].Started != c.started || (list[0].Start != 0) != c.started {
			t.Errorf("getAllSubtasks by %s: %+v", c.who, list)
		}
	}
	f.clockOff.Add(int64(90 * time.Minute))
	runRPCCases(t, f, []rpcCase{
		{"time of the running timer", viewer, "getSubtaskTimeSpent", []any{sid, bob}, `1.5`},
		{"stop, a viewer", viewer, "setSubtaskEndTime", []any{sid, bob}, `403`},
		{"stop another user's timer", member, "setSubtaskEndTime", []any{sid, alice}, `false`},
		{"stop", member, "setSubtaskEndTime", []any{sid, bob}, `true`},
		{"stop again: nothing runs, still true", member, "setSubtaskEndTime", []any{sid, bob}, `true`},
		{"stopped", viewer, "hasSubtaskTimer", []any{sid, bob}, `false`},
		{"no running time", viewer, "getSubtaskTimeSpent", []any{sid, bob}, `0`},
		{"alice's still runs", viewer, "hasSubtaskTimer", []any{sid, alice}, `true`},
	})
	var st struct {
		TimeSpent float64 `json:"time_spent"`
	}
	json.Unmarshal(f.call(t, app, "getSubtask", []any{sid}), &st)
	if st.TimeSpent != 2 {
		t.Errorf("subtask time_spent = %v, want 0.5 + 1.5", st.TimeSpent)
	}
	evs := f.eventsSince(t, before)
	if len(evs) != 1 || evs[0].Name != store.EventSubtaskUpdate || evs[0].AuthorName != "bob" ||
		jsonPath(t, evs[0].Data, "changes.time_spent") != 2.0 || jsonPath(t, evs[0].Data, "subtask.time_spent") != 2.0 {
		t.Fatalf("events after the timers: %+v", evs)
	}
}

// TestRPCProjectFileReceiver: a receiver subscribed to project file
// events gets the upload and the removal, with the file and its project.
func TestRPCProjectFileReceiver(t *testing.T) {
	f, _, _ := pfilesFixture(t, scenarioNotifier(t))
	rc := newReceiver(t, http.StatusOK, "ok")
	if _, _, err := f.st.CreateEndpoint(context.Background(), store.NewEndpoint{Name: "files", URL: rc.URL + "/hook",
		Events: []string{store.EventProjectFileCreate, store.EventProjectFileDelete}, Timeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	member := basicAuth("bob", "bob password")
	id := f.callID(t, member, "createProjectFile", []any{f.p1, "plan.txt", b64("the plan")})
	f.callTrue(t, member, "removeProjectFile", []any{f.p1, id})

	got := rc.received()
	if len(got) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(got))
	}
	for i, want := range []string{"project_file.create", "project_file.delete"} {
		var body struct {
			Name   string          `json:"event_name"`
			Author string          `json:"event_author"`
			Data   json.RawMessage `json:"event_data"`
		}
		if err := json.Unmarshal([]byte(got[i].body), &body); err != nil {
			t.Fatal(err)
		}
		if body.Name != want || body.Author != "bob" || jsonPath(t, body.Data, "file.name") != "plan.txt" ||
			jsonPath(t, body.Data, "file_id") != float64(id) || jsonPath(t, body.Data, "project.name") != "Alpha" ||
			jsonPath(t, body.Data, "file.project_id") != float64(f.p1) || jsonPath(t, body.Data, "file.size") != 8.0 {
			t.Errorf("delivery %d: %s", i, got[i].body)
		}
	}
}
