package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"hookboard/store"
)

// TestRPCActionCatalog: the lists of actions and events are Kanboard's,
// objects sorted by description; an unknown action is Kanboard's error.
func TestRPCActionCatalog(t *testing.T) {
	f := newAccessFixture(t)
	everyone := func(v string) map[string]string {
		return map[string]string{"app": v, "admin": v, "outadmin": v, "manager": v, "member": v, "viewer": v, "outsider": v}
	}
	events := `{"task.close":"Closing a task","task.cronjob.daily":"Daily background job for tasks",` +
		`"task.move.column":"Move a task to another column","task.move.swimlane":"Move a task to another swimlane",` +
		`"task.open":"Reopen a task","subtask.create_update":"Subtask creation or modification",` +
		`"task.assignee_change":"Task assignee change","task.create":"Task creation",` +
		`"task.create_update":"Task creation or modification",` +
		`"task_internal_link.create_update":"Task link creation or modification","task.update":"Task modification"}`
	runAccessCases(t, f, []accessCase{
		{method: "getAvailableActionEvents", want: everyone(events)},
		{method: "getAvailableActions", want: everyone(ok)},
		{method: "getCompatibleActionEvents", params: func(*accessFixture) any { return []any{`\Kanboard\Action\TaskCloseColumn`} },
			want: everyone(`{"task.move.column":"Move a task to another column","task.create":"Task creation"}`)},
		{method: "getCompatibleActionEvents", params: func(*accessFixture) any { return []any{`\Kanboard\Action\TaskMoveColumnAssigned`} },
			want: everyone(`{"task.assignee_change":"Task assignee change","task.update":"Task modification"}`)},
	})
	raw := f.try(t, "member", "getAvailableActions", nil)
	if !strings.HasPrefix(raw, `{"\\Kanboard\\Action\\CommentCreationMoveTaskColumn":"Add a comment log when moving the task between columns",`) ||
		!strings.Contains(raw, `"\\Kanboard\\Action\\TaskCloseColumn":"Close a task in a specific column"`) ||
		strings.Contains(raw, "TaskEmail") {
		t.Errorf("getAvailableActions = %s", raw)
	}
	var actions map[string]string
	if err := json.Unmarshal([]byte(raw), &actions); err != nil || len(actions) != 41 {
		t.Errorf("getAvailableActions: %d actions, %v", len(actions), err)
	}
	_, _, resp := f.post(t, f.app(), `{"jsonrpc":"2.0","method":"getCompatibleActionEvents","params":["\\Kanboard\\Action\\TaskEmail"],"id":1}`)
	if resp != `{"jsonrpc":"2.0","error":{"code":0,"message":"Automatic Action Not Found: \\Kanboard\\Action\\TaskEmail"},"id":1}` {
		t.Errorf("an action left out: %s", resp)
	}
}

// TestRPCActions: a project's managers (and the app token) list, create and
// remove its rules; others get 403; Kanboard's false for bad input.
func TestRPCActions(t *testing.T) {
	f := newAccessFixture(t)
	done := f.cols1[3].ID
	closeInDone := func(f *accessFixture) any {
		return map[string]any{"project_id": f.p1, "event_name": "task.move.column",
			"action_name": `\Kanboard\Action\TaskCloseColumn`, "params": map[string]any{"column_id": done}}
	}
	managers := func(v string) map[string]string {
		return map[string]string{"app": v, "admin": v, "manager": v, "outadmin": "403", "member": "403", "viewer": "403", "outsider": "403"}
	}
	runAccessCases(t, f, []accessCase{
		{method: "createAction", params: closeInDone, want: managers(ok)},
		{method: "getActions", params: func(f *accessFixture) any { return []any{f.p1} }, want: managers(ok)},
		{method: "removeAction", params: func(*accessFixture) any { return []any{1} }, want: map[string]string{"member": "403", "viewer": "403", "outadmin": "403"}},
	})
	// Three rules were created (app, admin, manager).
	want := fmt.Sprintf(`{"id":1,"project_id":%d,"event_name":"task.move.column","action_name":"\\Kanboard\\Action\\TaskCloseColumn","params":{"column_id":"%d"}}`, f.p1, done)
	if got := f.try(t, "manager", "getActions", []any{f.p1}); !strings.HasPrefix(got, "["+want+",") || strings.Count(got, `"id"`) != 3 {
		t.Errorf("getActions = %s", got)
	}
	if got := f.try(t, "manager", "removeAction", []any{1}); got != "true" {
		t.Errorf("removeAction = %s", got)
	}
	bad := func(change func(m map[string]any)) func(f *accessFixture) any {
		return func(f *accessFixture) any {
			m := closeInDone(f).(map[string]any)
			change(m)
			return m
		}
	}
	runAccessCases(t, f, []accessCase{
		// Removed already, or never there: false for the app, 403 for users (no project to check).
		{method: "removeAction", params: func(*accessFixture) any { return []any{1} }, want: map[string]string{"app": "false", "manager": "403", "admin": "403"}},
		{method: "removeAction", params: func(*accessFixture) any { return []any{999} }, want: map[string]string{"app": "false", "manager": "403"}},
		{method: "getActions", params: func(*accessFixture) any { return []any{999} }, want: map[string]string{"app": "[]", "manager": "403"}},
		{method: "createAction", params: bad(func(m map[string]any) { m["project_id"] = 999 }), want: map[string]string{"app": "false", "manager": "403"}},
		{method: "createAction", params: bad(func(m map[string]any) { m["action_name"] = `\Kanboard\Action\Nope` }), want: managers("false")},
		{method: "createAction", params: bad(func(m map[string]any) { m["action_name"] = `\Kanboard\Action\TaskEmail` }), want: managers("false")},
		{method: "createAction", params: bad(func(m map[string]any) { m["event_name"] = "task.update" }), want: managers("false")},
		{method: "createAction", params: bad(func(m map[string]any) { m["event_name"] = "" }), want: managers("false")},
		{method: "createAction", params: bad(func(m map[string]any) { m["params"] = map[string]any{} }), want: managers("false")},
		{method: "createAction", params: bad(func(m map[string]any) { m["params"] = map[string]any{"column_id": done, "x": 1} }), want: managers("false")},
		{method: "createAction", params: bad(func(m map[string]any) { m["params"] = map[string]any{"column_id": f.cols2[3].ID} }), want: managers("false")},
	})
	if got := f.try(t, "app", "getActions", []any{f.p1}); strings.Count(got, `"id"`) != 2 {
		t.Errorf("failed calls wrote rules: %s", got)
	}
	_, _, resp := f.post(t, f.app(), `{"jsonrpc":"2.0","method":"createAction","params":{"project_id":1,"event_name":"task.create","action_name":"x"},"id":1}`)
	if !strings.Contains(resp, `"data":"Wrong number of arguments"`) && !strings.Contains(resp, `"data":"Missing argument: params"`) {
		t.Errorf("createAction without params: %s", resp)
	}
	// A rule with no parameters lists them as Kanboard's empty array.
	id := f.try(t, "app", "createAction", map[string]any{"project_id": f.p1, "event_name": "task.create",
		"action_name": `\Kanboard\Action\TaskAssignCurrentUser`, "params": []any{}})
	if got := f.try(t, "app", "getActions", []any{f.p1}); !strings.Contains(got, `{"id":`+id+`,"project_id":1,"event_name":"task.create","action_name":"\\Kanboard\\Action\\TaskAssignCurrentUser","params":[]}`) {
		t.Errorf("getActions = %s", got)
	}
}

// TestRPCActionRunsOnItsEvent: a rule created through the API runs when a
// task moves through the API, and the call's answer comes after both changes.
func TestRPCActionRunsOnItsEvent(t *testing.T) {
	f := newAccessFixture(t)
	done := f.cols1[3].ID
	f.callID(t, f.app(), "createAction", map[string]any{"project_id": f.p1, "event_name": "task.move.column",
		"action_name": `\Kanboard\Action\TaskCloseColumn`, "params": map[string]any{"column_id": done}})
	task := f.callID(t, f.callers["member"], "createTask", map[string]any{"title": "Ship it", "project_id": f.p1})
	f.callTrue(t, f.callers["member"], "moveTaskPosition", map[string]any{"project_id": f.p1, "task_id": task,
		"column_id": done, "position": 1, "swimlane_id": f.lane1})
	var got map[string]any
	json.Unmarshal(f.call(t, f.app(), "getTask", []any{task}), &got)
	if got["is_active"] != float64(0) || got["column_id"] != float64(done) {
		t.Errorf("task after the move: %v", got)
	}
}

// TestIncomingTaskIntoDoneClosesItself is the example: a project
// whose rule closes tasks arriving in "Done"; a script creates a task there
// through the incoming URL; a real receiver gets task.create, then
// task.close, before the script's OK, each with its own event id.
func TestIncomingTaskIntoDoneClosesItself(t *testing.T) {
	f := newRPCFixture(t, scenarioNotifier(t))
	ctx := context.Background()
	rc := newReceiver(t, http.StatusOK, "ok")
	if _, _, err := f.st.CreateEndpoint(ctx, store.NewEndpoint{Name: "chat", URL: rc.URL + "/hook", Timeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	done := f.cols1[3]
	if _, err := f.st.CreateAction(ctx, f.p1, store.EventTaskCreate, `\Kanboard\Action\TaskCloseColumn`,
		[]store.ActionParam{{Name: "column_id", Value: strconv.FormatInt(done.ID, 10)}}); err != nil {
		t.Fatal(err)
	}
	q := url.Values{"controller": {"webhook"}, "action": {"task"}, "token": {f.incomingToken}, "title": {"Deploy finished"},
		"project_id": {strconv.FormatInt(f.p1, 10)}, "column_id": {strconv.FormatInt(done.ID, 10)}}
	resp, err := http.Get(f.srv.URL + "/?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "OK" {
		t.Fatalf("incoming: %d %q", resp.StatusCode, body)
	}
	taskID := resp.Header.Get("X-Hookboard-Task-Id")

	if got := eventNames(rc); !slices.Equal(got, []string{store.EventTaskCreate, store.EventTaskClose}) {
		t.Fatalf("the receiver got %v, want task.create then task.close", got)
	}
	hooks := rc.received()
	for i, wantActive := range []float64{1, 0} {
		var p struct {
			Data struct {
				TaskID float64        `json:"task_id"`
				Task   map[string]any `json:"task"`
			} `json:"event_data"`
		}
		if err := json.Unmarshal([]byte(hooks[i].body), &p); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(p.Data.TaskID) != taskID || p.Data.Task["is_active"] != wantActive || p.Data.Task["column_title"] != "Done" {
			t.Errorf("webhook %d: %s", i, hooks[i].body)
		}
	}
	if a, b := hooks[0].header.Get("webhook-id"), hooks[1].header.Get("webhook-id"); a == "" || a >= b {
		t.Errorf("webhook ids %q, %q: two events, in order", a, b)
	}
	id, _ := strconv.ParseInt(taskID, 10, 64)
	if tk, err := f.st.TaskByID(ctx, id); err != nil || tk.IsActive != 0 {
		t.Errorf("the task is not closed: %+v %v", tk, err)
	}
}

// TestRPCEveryProcedureRegisteredAndDocumented: all 160 of Kanboard's
// procedures are registered, and docs/jsonrpc.md's table lists each once.
func TestRPCEveryProcedureRegisteredAndDocumented(t *testing.T) {
	for name := range rpcAccessTable {
		if _, ok := rpcProcedures[name]; !ok {
			t.Errorf("%s is not registered", name)
		}
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "jsonrpc.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]int{}
	for _, line := range strings.Split(string(doc), "\n") {
		if name, ok := strings.CutPrefix(line, "| `"); ok {
			if name, rest, ok := strings.Cut(name, "` | "); ok && strings.HasPrefix(rest, "yes |") {
				listed[name]++
			}
		}
	}
	for name := range rpcAccessTable {
		if listed[name] != 1 {
			t.Errorf("docs/jsonrpc.md lists %s %d times", name, listed[name])
		}
	}
	if len(listed) != len(rpcAccessTable) {
		t.Errorf("docs/jsonrpc.md lists %d procedures, Kanboard has %d", len(listed), len(rpcAccessTable))
	}
}
