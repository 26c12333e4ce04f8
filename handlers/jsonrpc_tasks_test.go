package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"hookboard/store"
)

// rpcCase is one call and the exact result it must answer.
// forbidden checks that a call is refused with Kanboard's 403.
func forbidden(t *testing.T, f *rpcFixture, auth rpcAuth, method string, params any) {
	t.Helper()
	status, _, body := f.post(t, auth, rpcRequestBody(method, params))
	if status != http.StatusForbidden || !strings.Contains(body, `"code":403`) {
		t.Errorf("%s(%v): status %d %s, want 403 Forbidden", method, params, status, body)
	}
}

// TestRPCTaskLookups: getTaskByReference, searchTasks and the overdue
// lists answer Kanboard's shapes and failures.
func TestRPCTaskLookups(t *testing.T) {
	f := newRPCFixture(t, nil)
	app := f.app()
	past := time.Now().Add(-48 * time.Hour).Unix()
	refTask := f.callID(t, app, "createTask", map[string]any{"title": "From the CI", "project_id": f.p1, "reference": "BUILD-42",
		"date_due": past, "tags": []any{"ci", 7}})
	f.callID(t, app, "createTask", map[string]any{"title": "Other", "project_id": f.p2, "reference": "BUILD-42"})
	future := f.callID(t, app, "createTask", map[string]any{"title": "Later", "project_id": f.p1, "date_due": "01/31/2099 10:00"})
	closed := f.callID(t, app, "createTask", map[string]any{"title": "Done late", "project_id": f.p1, "date_due": past})
	f.callTrue(t, app, "closeTask", map[string]any{"task_id": closed})

	got := f.call(t, app, "getTaskByReference", map[string]any{"project_id": f.p1, "reference": "BUILD-42"})
	if jsonPath(t, got, "id") != num(refTask) || jsonPath(t, got, "url") == "<missing>" || jsonPath(t, got, "color.name") != "Yellow" {
		t.Errorf("getTaskByReference = %s", got)
	}
	if jsonPath(t, got, "date_due") != num(past) {
		t.Errorf("date_due %v, want %d", jsonPath(t, got, "date_due"), past)
	}
	if jsonPath(t, f.call(t, app, "getTask", []any{future}), "date_due") != num(time.Date(2099, 1, 31, 10, 0, 0, 0, time.UTC).Unix()) {
		t.Error("a m/d/Y H:i due date was not read in UTC")
	}
	runRPCCases(t, f, []rpcCase{
		{"reference is exact", app, "getTaskByReference", map[string]any{"project_id": f.p1, "reference": "build-42"}, "null"},
		{"reference of another project", app, "getTaskByReference", []any{f.p2, "BUILD-9"}, "null"},
		{"empty reference", app, "getTaskByReference", []any{f.p1, ""}, "null"},
		{"unknown project", app, "getTaskByReference", []any{9999, "BUILD-42"}, "null"},
		{"search unknown project", app, "searchTasks", []any{9999, "status:open"}, "[]"},
		{"overdue by unknown project", app, "getOverdueTasksByProject", []any{9999}, "[]"},
		{"task tags", app, "getTaskTags", []any{refTask}, `{"` + idText(tagID(t, f, "ci")) + `":"ci","` + idText(tagID(t, f, "7")) + `":"7"}`},
		{"task tags of an unknown task", app, "getTaskTags", []any{999999}, "{}"},
	})

	var rows []map[string]any
	if err := json.Unmarshal(f.call(t, app, "searchTasks", map[string]any{"project_id": f.p1, "query": "tag:ci"}), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0]["id"] != num(refTask) || rows[0]["project_name"] != "Alpha" || rows[0]["nb_comments"] != num(0) ||
		rows[0]["column_name"] != f.cols1[0].Title {
		t.Fatalf("searchTasks tag:ci = %v", rows)
	}
	for _, k := range []string{"nb_files", "nb_subtasks", "nb_completed_subtasks", "nb_links", "nb_external_links", "is_milestone",
		"assignee_username", "category_color_id", "column_position", "swimlane_name", "recurrence_child"} {
		if _, ok := rows[0][k]; !ok {
			t.Errorf("searchTasks row lacks %q", k)
		}
	}
	for _, k := range []string{"url", "color", "external_uri"} {
		if _, ok := rows[0][k]; ok {
			t.Errorf("searchTasks row has %q, Kanboard's extended row has not", k)
		}
	}
	if n := len(decodeList(t, f.call(t, app, "searchTasks", []any{f.p1, ""}))); n != 3 {
		t.Errorf("an empty query found %d tasks, want the project's 3, open and closed", n)
	}

	var overdue []map[string]any
	if err := json.Unmarshal(f.call(t, app, "getOverdueTasks", nil), &overdue); err != nil {
		t.Fatal(err)
	}
	if len(overdue) != 1 || overdue[0]["id"] != num(refTask) || overdue[0]["project_name"] != "Alpha" || len(overdue[0]) != 9 {
		t.Errorf("getOverdueTasks = %v, want only the open past-due task with 9 keys", overdue)
	}
	if n := len(decodeList(t, f.call(t, app, "getOverdueTasksByProject", []any{f.p2}))); n != 0 {
		t.Errorf("project 2 has %d overdue tasks, want 0", n)
	}

	// Who may call: getOverdueTasks is for admins; a user naming a project
	// that does not exist is refused.
	member := basicAuth(f.member.Username, f.memberPAT)
	forbidden(t, f, member, "getOverdueTasks", nil)
	forbidden(t, f, member, "getTaskByReference", []any{9999, "x"})
	forbidden(t, f, member, "searchTasks", []any{9999, "x"})
	forbidden(t, f, member, "getTaskTags", []any{999999})
}

func idText(n int64) string { b, _ := json.Marshal(n); return string(b) }

func decodeList(t *testing.T, raw json.RawMessage) []any {
	t.Helper()
	var out []any
	if err := json.Unmarshal(raw, &out); err != nil || out == nil {
		t.Fatalf("%s is not a list", raw)
	}
	return out
}

// tagID finds a tag by name among all tags.
func tagID(t *testing.T, f *rpcFixture, name string) int64 {
	t.Helper()
	var tags []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal(f.call(t, f.app(), "getAllTags", nil), &tags); err != nil {
		t.Fatal(err)
	}
	for _, tg := range tags {
		if tg.Name == name {
			return tg.ID
		}
	}
	t.Fatalf("no tag %q in %v", name, tags)
	return 0
}

// TestRPCTags: TagProcedure and TaskTagProcedure with Kanboard's results
// and failures, and Hookboard's where DESIGN differs (unknown ids fail).
func TestRPCTags(t *testing.T) {
	f := newRPCFixture(t, nil)
	app := f.app()
	bug := f.callID(t, app, "createTag", map[string]any{"project_id": f.p1, "tag": "bug", "color_id": "red"})
	global := f.callID(t, app, "createTag", []any{0, "urgent"})
	other := f.callID(t, app, "createTag", []any{f.p2, "bug"})
	runRPCCases(t, f, []rpcCase{
		{"duplicate name in the project", app, "createTag", []any{f.p1, "bug"}, "false"},
		{"blank name", app, "createTag", []any{f.p1, "  "}, "false"},
		{"unknown color", app, "createTag", []any{f.p1, "x", "chartreuse"}, "false"},
		{"unknown project", app, "createTag", []any{9999, "x"}, "false"},
		{"project tags, no global ones", app, "getTagsByProject", []any{f.p1},
			`[{"id":` + idText(bug) + `,"name":"bug","project_id":` + idText(f.p1) + `,"color_id":"red"}]`},
		{"all tags by name", app, "getAllTags", nil, `[{"id":` + idText(bug) + `,"name":"bug","project_id":` + idText(f.p1) +
			`,"color_id":"red"},{"id":` + idText(other) + `,"name":"bug","project_id":` + idText(f.p2) +
			`,"color_id":null},{"id":` + idText(global) + `,"name":"urgent","project_id":0,"color_id":null}]`},
		{"update clears an omitted color", app, "updateTag", []any{bug, "defect"}, "true"},
		{"updated", app, "getTagsByProject", []any{f.p1},
			`[{"id":` + idText(bug) + `,"name":"defect","project_id":` + idText(f.p1) + `,"color_id":null}]`},
		{"update unknown tag", app, "updateTag", []any{999999, "x"}, "false"},
		{"rename to its own name", app, "updateTag", []any{other, "bug"}, "true"},
		{"a name the project has", app, "createTag", []any{f.p1, "defect"}, "false"},
		{"remove unknown tag", app, "removeTag", []any{999999}, "false"},
	})

	task := f.callID(t, app, "createTask", map[string]any{"title": "Tagged", "project_id": f.p1})
	runRPCCases(t, f, []rpcCase{
		{"set: existing, global (any case), new, blank dropped", app, "setTaskTags", []any{f.p1, task, []any{"DEFECT", "Urgent", "new one", ""}}, "true"},
	})
	// The new tag's id, as the database gave it (PostgreSQL's ids may skip
	// the numbers of failed inserts).
	var newOne int64
	projectTags, err := f.st.TagsByProject(context.Background(), f.p1)
	for _, tg := range projectTags {
		if tg.Name == "new one" {
			newOne = tg.ID
		}
	}
	if err != nil || newOne == 0 {
		t.Fatalf("the new tag is not among the project's tags %v (%v)", projectTags, err)
	}
	runRPCCases(t, f, []rpcCase{
		{"got them", app, "getTaskTags", []any{task}, `{"` + idText(bug) + `":"defect","` + idText(global) + `":"urgent","` +
			idText(newOne) + `":"new one"}`},
		{"set again changes nothing", app, "setTaskTags", []any{f.p1, task, []any{"defect", "urgent", "New One"}}, "true"},
		{"another project's id", app, "setTaskTags", []any{f.p2, task, []any{"x"}}, "false"},
		{"unknown task", app, "setTaskTags", []any{f.p1, 999999, []any{"x"}}, "false"},
		{"remove a tag", app, "removeTag", []any{global}, "true"},
		{"it left the task", app, "getTaskTags", []any{task}, `{"` + idText(bug) + `":"defect","` + idText(newOne) + `":"new one"}`},
		{"empty list takes all off", app, "setTaskTags", []any{f.p1, task, []any{}}, "true"},
		{"none left", app, "getTaskTags", []any{task}, "{}"},
	})
	status, _, body := f.post(t, app, rpcRequestBody("setTaskTags", []any{f.p1, task, "bug"}))
	if status != http.StatusOK || !strings.Contains(body, `"code":-32602`) || !strings.Contains(body, "tags") {
		t.Errorf("tags as a string: %d %s, want -32602 naming tags", status, body)
	}

	// Users: global tags are the applications' business; a member may tag
	// in their project.
	member := basicAuth(f.member.Username, f.memberPAT)
	shared := f.callID(t, app, "createTag", []any{0, "shared"})
	forbidden(t, f, member, "createTag", []any{0, "mine"})
	forbidden(t, f, member, "updateTag", []any{shared, "mine"})
	forbidden(t, f, member, "removeTag", []any{shared})
	if id := f.callID(t, member, "createTag", []any{f.p1, "member tag"}); id <= 0 {
		t.Fatal("a member could not create a tag in their project")
	}
	var tags []store.Tag
	if err := json.Unmarshal(f.call(t, member, "getAllTags", nil), &tags); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tags, func(tg store.Tag) bool { return tg.ID == shared }) {
		t.Errorf("a member's getAllTags %v lacks the global tag", tags)
	}
}

// TestRPCTagsInTaskEvents: a receiver gets the task's tags in its events,
// and a tag change is a task.update whose changes list the tags.
func TestRPCTagsInTaskEvents(t *testing.T) {
	f := newRPCFixture(t, scenarioNotifier(t))
	ctx := context.Background()
	kb := newReceiver(t, http.StatusOK, "ok")
	if _, _, err := f.st.CreateEndpoint(ctx, store.NewEndpoint{Name: "r", URL: kb.URL + "/hook", Timeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	app := f.app()
	id := f.callID(t, app, "createTask", map[string]any{"title": "Tagged", "project_id": f.p1, "tags": []any{"ops"}})
	f.callTrue(t, app, "updateTask", map[string]any{"id": id, "tags": []any{"ops", "db"}})
	f.callTrue(t, app, "updateTask", map[string]any{"id": id, "tags": []any{"db", "ops"}}) // the same set: no event
	f.callTrue(t, app, "setTaskTags", []any{f.p1, id, []any{"db"}})
	f.callTrue(t, app, "updateTask", map[string]any{"id": id, "title": "Renamed"}) // tags kept

	type delivered struct {
		Name string          `json:"event_name"`
		Data json.RawMessage `json:"event_data"`
	}
	var got []delivered
	for _, h := range kb.received() {
		var d delivered
		if err := json.Unmarshal([]byte(h.body), &d); err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	names := func(data json.RawMessage) []string {
		var d struct {
			Task struct {
				Tags []struct {
					Name   string `json:"name"`
					TaskID int64  `json:"task_id"`
				} `json:"tags"`
			} `json:"task"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tg := range d.Task.Tags {
			if tg.TaskID != id {
				t.Errorf("tag %q has task_id %d, want %d", tg.Name, tg.TaskID, id)
			}
			out = append(out, tg.Name)
		}
		return out
	}
	want := []struct {
		name    string
		tags    []string
		changes any
	}{
		{store.EventTaskCreate, []string{"ops"}, "<missing>"},
		{store.EventTaskUpdate, []string{"db", "ops"}, []any{"db", "ops"}},
		{store.EventTaskUpdate, []string{"db"}, []any{"db"}},
		{store.EventTaskUpdate, []string{"db"}, "<missing>"},
	}
	if len(got) != len(want) {
		t.Fatalf("receiver got %d events, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Name != w.name || !slices.Equal(names(got[i].Data), w.tags) {
			t.Errorf("event %d: %s with tags %v, want %s with %v", i, got[i].Name, names(got[i].Data), w.name, w.tags)
		}
		if ch := jsonPath(t, got[i].Data, "changes.tags"); w.changes != "<missing>" && !jsonEqual(ch, w.changes) {
			t.Errorf("event %d: changes.tags %v, want %v", i, ch, w.changes)
		}
	}
	if jsonPath(t, got[3].Data, "changes.title") != "Renamed" {
		t.Errorf("last update's changes: %s", got[3].Data)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestRPCTaskDatesFilesSubtasksCopies: createTask's date forms, Kanboard's
// file rows, a subtask's position and duplicateTaskToProject over the API.
func TestRPCTaskDatesFilesSubtasksCopies(t *testing.T) {
	f := newRPCFixture(t, nil)
	app := f.app()
	jan31 := time.Date(2030, 1, 31, 0, 0, 0, 0, time.UTC).Unix()
	for _, c := range []struct {
		in   any
		want int64
	}{
		{"01/31/2030", jan31}, {"2030-01-31", jan31}, {"2030_01_31", jan31},
		{"01/31/2030 14:30", jan31 + 14*3600 + 30*60}, {"2030-01-31 9:05", jan31 + 9*3600 + 5*60},
		{"2030_01_31 14:30", jan31 + 14*3600 + 30*60}, {jan31, jan31}, {"", 0},
	} {
		id := f.callID(t, app, "createTask", map[string]any{"title": "dated", "project_id": f.p1, "date_due": c.in})
		if got := jsonPath(t, f.call(t, app, "getTask", []any{id}), "date_due"); got != num(c.want) {
			t.Errorf("date_due %v read as %v, want %d", c.in, got, c.want)
		}
	}
	tasks, _ := f.counts(t)
	for _, bad := range []string{"2030-02-30", "tomorrow", "2030-01-31 14:30 pm"} {
		status, _, body := f.post(t, app, rpcRequestBody("createTask", map[string]any{"title": "x", "project_id": f.p1, "date_due": bad}))
		if status != http.StatusOK || !strings.Contains(body, "Invalid argument: date_due") {
			t.Errorf("date_due %q: %d %s", bad, status, body)
		}
	}
	if after, _ := f.counts(t); after != tasks {
		t.Error("a refused date stored a task")
	}

	task := f.callID(t, app, "createTask", map[string]any{"title": "with things", "project_id": f.p1})
	user := basicAuth(f.admin.Username, f.adminPass)
	f.callID(t, user, "createTaskFile", []any{f.p1, task, "b.txt", "aGVsbG8="})
	f.callID(t, app, "createTaskFile", []any{f.p1, task, "a.txt", "aGVsbG8="})
	var files []map[string]any
	if err := json.Unmarshal(f.call(t, app, "getAllTaskFiles", []any{task}), &files); err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0]["name"] != "a.txt" || files[0]["username"] != nil || files[1]["username"] != f.admin.Username {
		t.Fatalf("getAllTaskFiles = %v", files)
	}
	for _, k := range []string{"id", "name", "path", "is_image", "task_id", "date", "user_id", "size", "username", "user_name", "etag"} {
		if _, ok := files[1][k]; !ok {
			t.Errorf("file row lacks %q", k)
		}
	}

	var subs []int64
	for _, title := range []string{"one", "two", "three"} {
		subs = append(subs, f.callID(t, app, "createSubtask", []any{task, title}))
	}
	f.callTrue(t, app, "updateSubtask", map[string]any{"id": subs[2], "task_id": task, "position": 1})
	var list []struct {
		Title    string `json:"title"`
		Position int64  `json:"position"`
	}
	if err := json.Unmarshal(f.call(t, app, "getAllSubtasks", []any{task}), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].Title != "three" || list[0].Position != 1 || list[2].Title != "two" || list[2].Position != 3 {
		t.Fatalf("after moving three to the top: %+v", list)
	}
	if got := string(f.call(t, app, "updateSubtask", map[string]any{"id": subs[0], "task_id": task, "position": 0})); got != "false" {
		t.Errorf("position 0 answered %s", got)
	}

	copyID := f.callID(t, app, "duplicateTaskToProject", map[string]any{"task_id": task, "project_id": f.p2})
	c := f.call(t, app, "getTask", []any{copyID})
	if jsonPath(t, c, "project_id") != num(f.p2) || jsonPath(t, c, "title") != "with things" {
		t.Errorf("copy %s", c)
	}
	if n := len(decodeList(t, f.call(t, app, "getAllSubtasks", []any{copyID}))); n != 3 {
		t.Errorf("the copy has %d subtasks, want 3", n)
	}
	runRPCCases(t, f, []rpcCase{
		{"copy of an unknown task", app, "duplicateTaskToProject", []any{999999, f.p2}, "0"},
		{"copy to an unknown project", app, "duplicateTaskToProject", []any{task, 999999}, "0"},
		{"copy to a foreign column", app, "duplicateTaskToProject", []any{task, f.p2, 0, f.cols1[0].ID}, "0"},
	})
}
