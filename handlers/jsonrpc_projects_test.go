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

// rpcCase is one call and the result it must answer, exactly as JSON.
// methodCase is an rpcCase whose caller runCases names.
type methodCase struct {
	method string
	params any
	want   string
}

func (f *rpcFixture) runCases(t *testing.T, auth rpcAuth, cases []methodCase) {
	t.Helper()
	all := make([]rpcCase, len(cases))
	for i, c := range cases {
		all[i] = rpcCase{name: c.method, auth: auth, method: c.method, params: c.params, want: c.want}
	}
	runRPCCases(t, f, all)
}

// TestRPCProjectProcedures runs ProjectProcedure as the reference lists
// it: lookups answer false (not null) when nothing matches, an unknown
// project is false for every write, and bad input is false and changes
// nothing.
func TestRPCProjectProcedures(t *testing.T) {
	f := newRPCFixture(t, nil)
	app := f.app()
	id := f.callID(t, app, "createProject", map[string]any{"name": "Gamma", "identifier": "gam1",
		"email": "gamma@example.com", "start_date": "2030-01-31", "priority_end": 5})
	p := f.call(t, app, "getProjectById", map[string]any{"project_id": id})
	var obj map[string]any
	if err := json.Unmarshal(p, &obj); err != nil {
		t.Fatal(err)
	}
	if len(obj) != 24 || obj["identifier"] != "GAM1" || obj["email"] != "gamma@example.com" ||
		obj["start_date"] != "2030-01-31" || obj["priority_end"] != 5.0 || obj["token"] != "" || obj["is_public"] != 0.0 {
		t.Errorf("getProjectById: %d keys: %s", len(obj), p)
	}
	if u, _ := obj["url"].(map[string]any); u["board"] == nil || u["list"] == nil {
		t.Errorf("url: %v", obj["url"])
	}
	f.runCases(t, app, []methodCase{
		{"getProjectByName", map[string]any{"name": "Nope"}, `false`},
		{"getProjectByIdentifier", map[string]any{"identifier": ""}, `false`},
		{"getProjectByEmail", map[string]any{"email": ""}, `false`},
		{"getProjectByEmail", map[string]any{"email": "nobody@example.com"}, `false`},
		{"createProject", map[string]any{"name": "Dup", "identifier": "GAM1"}, `false`},
		{"createProject", map[string]any{"name": "Bad", "identifier": "no-dash"}, `false`},
		{"createProject", map[string]any{"name": "Bad", "email": "not an email"}, `false`},
		{"createProject", map[string]any{"name": " "}, `false`},
		{"createProject", map[string]any{"name": "Bad", "owner_id": 999}, `false`},
		{"updateProject", map[string]any{"project_id": 999, "name": "x"}, `false`},
		{"updateProject", map[string]any{"project_id": id, "name": ""}, `false`},
		{"updateProject", map[string]any{"project_id": id, "start_date": "2030-02-30"}, `false`},
		{"updateProject", map[string]any{"project_id": id, "name": "Gamma 2", "end_date": "02/28/2031", "identifier": "g2"}, `true`},
		{"removeProject", map[string]any{"project_id": 999}, `false`},
		{"enableProject", map[string]any{"project_id": 999}, `false`},
		{"disableProject", map[string]any{"project_id": 999}, `false`},
		{"disableProject", map[string]any{"project_id": id}, `true`},
		{"enableProjectPublicAccess", map[string]any{"project_id": id}, `false`},
		{"disableProjectPublicAccess", map[string]any{"project_id": id}, `true`},
		{"disableProjectPublicAccess", map[string]any{"project_id": 999}, `false`},
		{"getProjectActivity", map[string]any{"project_id": 999}, `[]`},
	})
	for method, arg := range map[string]map[string]any{"getProjectByName": {"name": "Gamma 2"},
		"getProjectByIdentifier": {"identifier": "g2"}, "getProjectByEmail": {"email": "gamma@example.com"}} {
		if got := jsonPath(t, f.call(t, app, method, arg), "id"); got != num(id) {
			t.Errorf("%s: id %v, want %d", method, got, id)
		}
	}
	res := f.call(t, app, "getProjectById", map[string]any{"project_id": id})
	for key, want := range map[string]any{"name": "Gamma 2", "identifier": "G2", "end_date": "2031-02-28", "is_active": 0.0} {
		if got := jsonPath(t, res, key); got != want {
			t.Errorf("after update and disable: %s = %v, want %v", key, got, want)
		}
	}

	// The activity lists the project's events, newest first, with their
	// data merged in; getProjectActivities caps them all at 50 in total.
	var acts []map[string]any
	json.Unmarshal(f.call(t, app, "getProjectActivity", map[string]any{"project_id": id}), &acts)
	var names []string
	for _, a := range acts {
		names = append(names, a["event_name"].(string))
	}
	if want := []string{"project.update", "project.update", "project.create"}; !slices.Equal(names, want) {
		t.Errorf("activity: %v, want %v", names, want)
	}
	if len(acts) > 0 && (acts[0]["event_title"] != `API updated the project "Gamma 2"` || acts[0]["project"] == nil || acts[0]["changes"] == nil) {
		t.Errorf("activity row: %v", acts[0])
	}
	for range 30 {
		f.callID(t, app, "addColumn", map[string]any{"project_id": f.p1, "title": "c" + time.Now().Format("150405.000000000")})
	}
	json.Unmarshal(f.call(t, app, "getProjectActivities", map[string]any{"project_ids": []int64{id, f.p1}}), &acts)
	if len(acts) != 33 {
		t.Errorf("getProjectActivities: %d events, want 33", len(acts))
	}
	for range 20 {
		f.callID(t, app, "addColumn", map[string]any{"project_id": f.p1, "title": "d" + time.Now().Format("150405.000000000")})
	}
	json.Unmarshal(f.call(t, app, "getProjectActivities", map[string]any{"project_ids": []int64{id, f.p1}}), &acts)
	if len(acts) != 50 || acts[0]["event_name"] != "column.create" {
		t.Errorf("getProjectActivities: %d events, want 50", len(acts))
	}

	f.callTrue(t, app, "removeProject", map[string]any{"project_id": id})
	f.runCases(t, app, []methodCase{
		{"getProjectById", map[string]any{"project_id": id}, `null`},
		{"getProjectByName", map[string]any{"name": "Gamma 2"}, `false`},
	})
}

// TestRPCUserCreatesAndManagesProject: a user who creates a project owns it
// and manages it; a user naming a column, swimlane or category that does
// not exist is refused with 403 (Kanboard checks the project first).
func TestRPCUserCreatesAndManagesProject(t *testing.T) {
	f := newRPCFixture(t, nil)
	admin := basicAuth("alice", f.adminPAT)
	id := f.callID(t, admin, "createProject", map[string]any{"name": "Mine"})
	if got := jsonPath(t, f.call(t, admin, "getProjectById", map[string]any{"project_id": id}), "owner_id"); got != num(f.admin.ID) {
		t.Errorf("owner_id %v, want %d", got, f.admin.ID)
	}
	f.callID(t, admin, "addColumn", map[string]any{"project_id": id, "title": "Review"})
	for _, c := range []struct {
		method string
		params map[string]any
	}{
		{"getColumn", map[string]any{"column_id": 999}}, {"removeColumn", map[string]any{"column_id": 999}},
		{"updateColumn", map[string]any{"column_id": 999, "title": "x"}},
		{"getSwimlaneById", map[string]any{"swimlane_id": 999}}, {"getCategory", map[string]any{"category_id": 999}},
		{"removeCategory", map[string]any{"category_id": 999}}, {"getBoard", map[string]any{"project_id": 999}},
		{"addColumn", map[string]any{"project_id": 999, "title": "x"}},
	} {
		if status, _, body := f.post(t, admin, rpcRequestBody(c.method, c.params)); status != http.StatusForbidden || body != rpcForbiddenBody {
			t.Errorf("%s: %d %s", c.method, status, body)
		}
	}
}

// TestRPCColumnProcedures follows ColumnProcedure: columns append, move
// within 1..count, keep unique titles, and are removed only when empty.
func TestRPCColumnProcedures(t *testing.T) {
	f := newRPCFixture(t, nil)
	app := f.app()
	col := f.callID(t, app, "addColumn", map[string]any{"project_id": f.p1, "title": "Review", "task_limit": 3, "description": "look"})
	task := f.callID(t, app, "createTask", map[string]any{"title": "t", "project_id": f.p1, "column_id": f.cols1[0].ID})
	colJSON := func(id int64, title string, pos, limit int, desc string) string {
		b, _ := json.Marshal(store.Column{ID: id, ProjectID: f.p1, Title: title, Position: pos, TaskLimit: limit, Description: desc})
		return string(b)
	}
	f.runCases(t, app, []methodCase{
		{"getColumn", map[string]any{"column_id": col}, colJSON(col, "Review", 5, 3, "look")},
		{"getColumn", map[string]any{"column_id": 999}, `null`},
		{"addColumn", map[string]any{"project_id": f.p1, "title": "Review"}, `false`},
		{"addColumn", map[string]any{"project_id": 999, "title": "X"}, `false`},
		{"addColumn", map[string]any{"project_id": f.p1, "title": ""}, `false`},
		{"addColumn", map[string]any{"project_id": f.p1, "title": "X", "task_limit": -1}, `false`},
		{"updateColumn", map[string]any{"column_id": 999, "title": "X"}, `false`},
		{"updateColumn", map[string]any{"column_id": col, "title": "Backlog"}, `false`},
		{"updateColumn", map[string]any{"column_id": col, "title": "Checked", "task_limit": "2"}, `true`},
		{"changeColumnPosition", map[string]any{"project_id": f.p1, "column_id": col, "position": 0}, `false`},
		{"changeColumnPosition", map[string]any{"project_id": f.p1, "column_id": col, "position": 6}, `false`},
		{"changeColumnPosition", map[string]any{"project_id": f.p2, "column_id": col, "position": 1}, `false`},
		{"changeColumnPosition", map[string]any{"project_id": f.p1, "column_id": col, "position": 1}, `true`},
		{"getColumn", map[string]any{"column_id": col}, colJSON(col, "Checked", 1, 2, "")},
		{"removeColumn", map[string]any{"column_id": f.cols1[0].ID}, `false`},
		{"removeColumn", map[string]any{"column_id": 999}, `false`},
	})
	titles := func() []string {
		var raw []map[string]any
		json.Unmarshal(f.call(t, app, "getColumns", map[string]any{"project_id": f.p1}), &raw)
		var out []string
		for _, c := range raw {
			out = append(out, c["title"].(string)+":"+jsonString(c["position"]))
		}
		return out
	}
	if got, want := titles(), []string{"Checked:1", "Backlog:2", "Ready:3", "Work in progress:4", "Done:5"}; !slices.Equal(got, want) {
		t.Errorf("columns %v, want %v", got, want)
	}
	// Closed tasks count too: the column stays until the task leaves.
	f.callTrue(t, app, "closeTask", map[string]any{"task_id": task})
	f.runCases(t, app, []methodCase{{"removeColumn", map[string]any{"column_id": f.cols1[0].ID}, `false`}})
	f.callTrue(t, app, "removeTask", map[string]any{"task_id": task})
	f.callTrue(t, app, "removeColumn", map[string]any{"column_id": f.cols1[0].ID})
	if got, want := titles(), []string{"Checked:1", "Ready:2", "Work in progress:3", "Done:4"}; !slices.Equal(got, want) {
		t.Errorf("after remove: %v, want %v", got, want)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestRPCSwimlaneProcedures follows SwimlaneProcedure: a disabled swimlane
// has position 0 and lists first in getAllSwimlanes; addSwimlane answers 0
// for an unknown project.
func TestRPCSwimlaneProcedures(t *testing.T) {
	f := newRPCFixture(t, nil)
	app := f.app()
	lane := f.callID(t, app, "addSwimlane", map[string]any{"project_id": f.p1, "name": "Ops", "description": "d"})
	f.runCases(t, app, []methodCase{
		{"addSwimlane", map[string]any{"project_id": 999, "name": "X"}, `0`},
		{"addSwimlane", map[string]any{"project_id": f.p1, "name": "Ops"}, `false`},
		{"getSwimlaneByName", map[string]any{"project_id": f.p1, "name": "Ops"},
			`{"id":` + jsonString(lane) + `,"name":"Ops","position":3,"is_active":1,"project_id":` + jsonString(f.p1) + `,"description":"d","task_limit":0}`},
		{"getSwimlaneByName", map[string]any{"project_id": f.p1, "name": "ops"}, `null`},
		{"getSwimlane", map[string]any{"swimlane_id": 999}, `null`},
		{"getSwimlaneById", map[string]any{"swimlane_id": 999}, `null`},
		{"updateSwimlane", map[string]any{"project_id": f.p2, "swimlane_id": lane, "name": "X"}, `false`},
		{"updateSwimlane", map[string]any{"project_id": f.p1, "swimlane_id": lane, "name": ""}, `false`},
		{"updateSwimlane", map[string]any{"project_id": f.p1, "swimlane_id": lane, "name": "Urgent"}, `false`},
		{"updateSwimlane", map[string]any{"project_id": f.p1, "swimlane_id": lane, "name": "Operations"}, `true`},
		{"changeSwimlanePosition", map[string]any{"project_id": f.p1, "swimlane_id": lane, "position": 4}, `false`},
		{"changeSwimlanePosition", map[string]any{"project_id": f.p1, "swimlane_id": lane, "position": 1}, `true`},
		{"disableSwimlane", map[string]any{"project_id": f.p1, "swimlane_id": f.lane1}, `true`},
		{"disableSwimlane", map[string]any{"project_id": f.p1, "swimlane_id": 999}, `false`},
		{"enableSwimlane", map[string]any{"project_id": f.p1, "swimlane_id": 999}, `false`},
	})
	names := func(method string) []string {
		var lanes []map[string]any
		json.Unmarshal(f.call(t, app, method, map[string]any{"project_id": f.p1}), &lanes)
		var out []string
		for _, l := range lanes {
			out = append(out, l["name"].(string)+":"+jsonString(l["position"])+":"+jsonString(l["is_active"]))
		}
		return out
	}
	if got, want := names("getAllSwimlanes"), []string{"Default swimlane:0:0", "Operations:1:1", "Urgent:2:1"}; !slices.Equal(got, want) {
		t.Errorf("getAllSwimlanes %v, want %v", got, want)
	}
	if got, want := names("getActiveSwimlanes"), []string{"Operations:1:1", "Urgent:2:1"}; !slices.Equal(got, want) {
		t.Errorf("getActiveSwimlanes %v, want %v", got, want)
	}
	f.callTrue(t, app, "enableSwimlane", map[string]any{"project_id": f.p1, "swimlane_id": f.lane1})
	if got, want := names("getAllSwimlanes"), []string{"Operations:1:1", "Urgent:2:1", "Default swimlane:3:1"}; !slices.Equal(got, want) {
		t.Errorf("after enable %v, want %v", got, want)
	}
	f.callID(t, app, "createTask", map[string]any{"title": "t", "project_id": f.p1, "swimlane_id": lane})
	f.runCases(t, app, []methodCase{
		{"removeSwimlane", map[string]any{"project_id": f.p1, "swimlane_id": lane}, `false`},
		{"removeSwimlane", map[string]any{"project_id": f.p1, "swimlane_id": f.lane1b}, `true`},
	})
	if got, want := names("getAllSwimlanes"), []string{"Operations:1:1", "Default swimlane:2:1"}; !slices.Equal(got, want) {
		t.Errorf("after remove %v, want %v", got, want)
	}
}

// TestRPCCategoryProcedures follows CategoryProcedure: names are unique in
// a project ignoring case, updateCategory without a colour clears it, and
// removing a category leaves its tasks without one.
func TestRPCCategoryProcedures(t *testing.T) {
	f := newRPCFixture(t, nil)
	app := f.app()
	cat := f.callID(t, app, "createCategory", map[string]any{"project_id": f.p1, "name": "Bug", "color_id": "red"})
	task := f.callID(t, app, "createTask", map[string]any{"title": "t", "project_id": f.p1, "category_id": cat})
	catJSON := func(name, color string) string {
		b, _ := json.Marshal(store.Category{ID: cat, ProjectID: f.p1, Name: name, ColorID: color})
		return string(b)
	}
	f.runCases(t, app, []methodCase{
		{"getCategory", map[string]any{"category_id": cat}, catJSON("Bug", "red")},
		{"getCategory", map[string]any{"category_id": 999}, `null`},
		{"createCategory", map[string]any{"project_id": f.p1, "name": "bug"}, `false`},
		{"createCategory", map[string]any{"project_id": f.p1, "name": "X", "color_id": "plaid"}, `false`},
		{"createCategory", map[string]any{"project_id": 999, "name": "X"}, `false`},
		{"createCategory", map[string]any{"project_id": f.p1, "name": strings.Repeat("x", 192)}, `false`},
		{"updateCategory", map[string]any{"id": 999, "name": "X"}, `false`},
		{"updateCategory", map[string]any{"id": cat, "name": "Defect"}, `true`},
		{"getCategory", map[string]any{"category_id": cat}, catJSON("Defect", "")},
		{"getAllCategories", map[string]any{"project_id": f.p1}, "[" + catJSON("Defect", "") + "]"},
		{"getAllCategories", map[string]any{"project_id": 999}, `[]`},
		{"removeCategory", map[string]any{"category_id": 999}, `false`},
		{"removeCategory", map[string]any{"category_id": cat}, `true`},
		{"getAllCategories", map[string]any{"project_id": f.p1}, `[]`},
	})
	if got := jsonPath(t, f.call(t, app, "getTask", map[string]any{"task_id": task}), "category_id"); got != 0.0 {
		t.Errorf("task category_id %v after removeCategory", got)
	}
}

// TestRPCGetBoard: swimlanes → columns → extended task rows with tags,
// closed tasks included, counts per cell and per column.
func TestRPCGetBoard(t *testing.T) {
	f := newRPCFixture(t, nil)
	app := f.app()
	col := f.cols1[1].ID
	open := f.callID(t, app, "createTask", map[string]any{"title": "open", "project_id": f.p1, "column_id": col, "score": 3})
	closed := f.callID(t, app, "createTask", map[string]any{"title": "closed", "project_id": f.p1, "column_id": col, "score": 4})
	f.callID(t, app, "createTask", map[string]any{"title": "other lane", "project_id": f.p1, "column_id": col, "swimlane_id": f.lane1b})
	f.callTrue(t, app, "closeTask", map[string]any{"task_id": closed})
	f.callID(t, app, "createComment", map[string]any{"task_id": open, "user_id": 0, "content": "hi"})
	res := f.call(t, app, "getBoard", map[string]any{"project_id": f.p1})
	var board []map[string]any
	if err := json.Unmarshal(res, &board); err != nil {
		t.Fatal(err)
	}
	if len(board) != 2 || board[0]["name"] != "Default swimlane" || board[0]["nb_columns"] != 4.0 || board[0]["nb_tasks"] != 2.0 || board[0]["score"] != 7.0 {
		t.Fatalf("board: %s", res)
	}
	cell := board[0]["columns"].([]any)[1].(map[string]any)
	want := map[string]any{"title": "Ready", "nb_open_tasks": 2.0, "nb_tasks": 2.0, "score": 7.0, "column_nb_open_tasks": 2.0,
		"nb_visible_tasks_across_swimlane": 3.0, "nb_unfiltered_tasks_across_swimlane": 2.0, "cumulative_score_across_swimlane": 7.0}
	for k, v := range want {
		if cell[k] != v {
			t.Errorf("cell %s = %v, want %v", k, cell[k], v)
		}
	}
	tasks := cell["tasks"].([]any)
	first := tasks[0].(map[string]any)
	if len(first) != 50 || first["nb_comments"] != 1.0 || first["column_name"] != "Ready" || first["is_draggable"] != false ||
		jsonString(first["tags"]) != "[]" || first["project_name"] != "Alpha" {
		t.Errorf("task row (%d keys): %v", len(first), first)
	}
	f.runCases(t, app, []methodCase{{"getBoard", map[string]any{"project_id": 999}, `[]`}})
}

// TestRPCColumnCreateReachesReceiver: addColumn's column.create event
// reaches a subscribed receiver, with the column, the project and the
// caller, and a column.update carries its changes.
func TestRPCColumnCreateReachesReceiver(t *testing.T) {
	f := newRPCFixture(t, scenarioNotifier(t))
	rc := newReceiver(t, http.StatusOK, "ok")
	if _, _, err := f.st.CreateEndpoint(context.Background(), store.NewEndpoint{Name: "r", URL: rc.URL,
		Events: []string{"column.create", "column.update"}, Timeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	col := f.callID(t, basicAuth("alice", f.adminPAT), "addColumn", map[string]any{"project_id": f.p1, "title": "QA", "task_limit": 2})
	f.callTrue(t, f.app(), "updateColumn", map[string]any{"column_id": col, "title": "QA", "task_limit": 4})
	got := rc.received()
	if len(got) != 2 {
		t.Fatalf("receiver got %d requests", len(got))
	}
	body := []byte(got[0].body)
	for path, want := range map[string]any{"event_name": "column.create", "event_author": "alice",
		"event_data.column_id": num(col), "event_data.column.title": "QA", "event_data.column.task_limit": 2.0,
		"event_data.title": "QA", "event_data.project.name": "Alpha", "event_data.project_id": num(f.p1)} {
		if v := jsonPath(t, body, path); v != want {
			t.Errorf("%s = %v, want %v", path, v, want)
		}
	}
	if got[0].header.Get("X-Hookboard-Event") != "column.create" {
		t.Errorf("header %q", got[0].header.Get("X-Hookboard-Event"))
	}
	body = []byte(got[1].body)
	if v := jsonPath(t, body, "event_data.changes"); jsonString(v) != `{"task_limit":4}` || jsonPath(t, body, "event_author") != nil {
		t.Errorf("column.update: %s", body)
	}
}
